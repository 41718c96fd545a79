import DRBookKube
import Foundation

/// The few protobuf request bodies kubectl sends. kubectl's typed clients (`create
/// namespace`, `auth can-i`) write built-in kinds as Kubernetes protobuf and do not fall
/// back to JSON on a 415, so the sandbox reads these kinds' fields that matter: the
/// envelope (`k8s\0` + runtime.Unknown), ObjectMeta's name, generateName, namespace,
/// labels and annotations, a Secret's and a ConfigMap's data, and a
/// SelfSubjectAccessReview's spec. Field numbers are those
/// of the kinds' `generated.proto`. Anything else is 415, naming JSON as the way in.
/// Responses are always JSON, which those clients accept.
enum ProtobufBody {
    static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]

    static func decode(_ data: Data) throws -> JSONValue {
        let bytes = [UInt8](data)
        guard bytes.starts(with: magic) else { throw unsupported("missing the k8s protobuf envelope") }
        let unknown = try fields(bytes[magic.count...])
        guard let typeMeta = try unknown[1].map({ try fields($0) }), let raw = unknown[2] else { throw unsupported("empty envelope") }
        let apiVersion = typeMeta[1].map(string) ?? ""
        let kind = typeMeta[2].map(string) ?? ""
        let message = try fields(raw)
        var object: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind)]
        if let metadata = message[1] { object["metadata"] = try objectMeta(metadata) }
        switch kind {
        case "Namespace":
            break
        case "Secret":
            // data: map<string, bytes> (base64 in JSON), type, stringData: map<string, string>.
            if let data = try map(raw, field: 2, value: { .string(Data($0).base64EncodedString()) }) { object["data"] = data }
            if let type = message[3] { object["type"] = .string(string(type)) }
            if let stringData = try map(raw, field: 4, value: { .string(string($0)) }) { object["stringData"] = stringData }
        case "ConfigMap":
            if let data = try map(raw, field: 2, value: { .string(string($0)) }) { object["data"] = data }
            if let binary = try map(raw, field: 3, value: { .string(Data($0).base64EncodedString()) }) { object["binaryData"] = binary }
        case "SelfSubjectAccessReview":
            let spec = try message[2].map { try fields($0) } ?? [:]
            var specValue: JSONValue = [:]
            if let attributes = try spec[1].map({ try fields($0) }) {
                let names = [1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"]
                specValue["resourceAttributes"] = .object(Dictionary(uniqueKeysWithValues: names.compactMap { number, name in
                    attributes[number].map { (name, JSONValue.string(string($0))) }
                }))
            }
            if let attributes = try spec[2].map({ try fields($0) }) {
                specValue["nonResourceAttributes"] = ["path": .string(attributes[1].map(string) ?? ""), "verb": .string(attributes[2].map(string) ?? "")]
            }
            object["spec"] = specValue
        default:
            throw unsupported("\(kind) in protobuf")
        }
        return object
    }

    /// A protobuf map field (repeated key = 1, value = 2 entries) as a JSON object; nil when absent.
    private static func map(_ message: ArraySlice<UInt8>, field: Int, value: (ArraySlice<UInt8>) -> JSONValue) throws -> JSONValue? {
        var result: [String: JSONValue] = [:]
        try scan(message) { number, bytes in
            guard number == field else { return }
            let entry = try fields(bytes)
            result[entry[1].map(string) ?? ""] = value(entry[2] ?? [])
        }
        return result.isEmpty ? nil : .object(result)
    }

    private static func objectMeta(_ bytes: ArraySlice<UInt8>) throws -> JSONValue {
        var metadata: [String: JSONValue] = [:]
        var labels: [String: JSONValue] = [:]
        var annotations: [String: JSONValue] = [:]
        try scan(bytes) { number, value in
            switch number {
            case 1: metadata["name"] = .string(string(value))
            case 2: metadata["generateName"] = .string(string(value))
            case 3: metadata["namespace"] = .string(string(value))
            case 11, 12:
                let entry = try fields(value)
                let pair = (entry[1].map(string) ?? "", JSONValue.string(entry[2].map(string) ?? ""))
                if number == 11 { labels[pair.0] = pair.1 } else { annotations[pair.0] = pair.1 }
            default: break
            }
        }
        if !labels.isEmpty { metadata["labels"] = .object(labels) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations) }
        return .object(metadata)
    }

    /// The length-delimited fields of a message, last one winning (enough for these kinds).
    private static func fields(_ bytes: ArraySlice<UInt8>) throws -> [Int: ArraySlice<UInt8>] {
        var result: [Int: ArraySlice<UInt8>] = [:]
        try scan(bytes) { result[$0] = $1 }
        return result
    }

    /// Walks a message's fields, handing over the length-delimited ones and skipping the rest.
    private static func scan(_ bytes: ArraySlice<UInt8>, _ body: (Int, ArraySlice<UInt8>) throws -> Void) throws {
        var index = bytes.startIndex
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < bytes.endIndex, shift < 64 else { throw unsupported("truncated protobuf") }
                let byte = bytes[index]
                index += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while index < bytes.endIndex {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: _ = try varint()
            case 1: index += 8
            case 5: index += 4
            case 2:
                let length = Int(try varint())
                guard length >= 0, index + length <= bytes.endIndex else { throw unsupported("truncated protobuf") }
                try body(number, bytes[index..<(index + length)])
                index += length
            default: throw unsupported("protobuf wire type \(key & 7)")
            }
        }
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    private static func unsupported(_ why: String) -> APIError {
        APIError(.unsupportedMediaType, "the body of the request was in an unknown format - accepted media types include: application/json (the sandbox reads protobuf only for Namespace, Secret, ConfigMap and SelfSubjectAccessReview: \(why))")
    }
}
