import Foundation
import Yams

/// Kubernetes manifests as `kubectl apply -f` reads them: one or more YAML documents
/// (`---`-separated), each an object; `kind: List` documents are flattened.
public enum KubeManifests {
    public static func parse(_ text: String, file: String) throws -> [JSONValue] {
        var objects: [JSONValue] = []
        let documents: [Node]
        do {
            documents = Array(try Yams.compose_all(yaml: text))
        } catch let error as YamlError {
            throw KubeManifestError(file: file, message: "is not valid YAML: \(error)")
        }
        for (index, node) in documents.enumerated() {
            let object: JSONValue
            do {
                object = try YAMLDecoder().decode(JSONValue.self, from: node)
            } catch {
                throw KubeManifestError(file: file, line: node.mark?.line, message: "document \(index + 1) cannot be read: \(error)")
            }
            if object == .null { continue }
            guard object["apiVersion"]?.stringValue != nil, object["kind"]?.stringValue != nil else {
                throw KubeManifestError(file: file, line: node.mark?.line,
                                        message: "document \(index + 1) has no apiVersion or kind; every manifest needs both")
            }
            if object["kind"] == "List" {
                objects += object["items"]?.arrayValue ?? []
            } else {
                objects.append(object)
            }
        }
        return objects
    }
}

public struct KubeManifestError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }
}
