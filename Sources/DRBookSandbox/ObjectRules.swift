import DRBookKube
import Foundation

/// What the API server checks and fills in on writes, kept apart from the storage
/// mechanics: names, namespaces, type fields, and which metadata the client cannot set.
enum ObjectRules {
    /// Metadata the server owns: whatever a client sends for these is replaced.
    static let systemMetadata = ["uid", "creationTimestamp", "generation", "resourceVersion"]

    static func prepareForCreate(_ object: JSONValue, entry: APIResource, namespace: String?) throws -> JSONValue {
        guard case .object = object else { throw APIError.badRequest("the body of the request must be a JSON object") }
        var object = object
        try checkType(object, entry: entry)
        object["apiVersion"] = .string(entry.groupVersion)
        object["kind"] = .string(entry.kind)
        if object.metadata("name")?.isEmpty ?? true {
            guard let prefix = object.metadata("generateName"), !prefix.isEmpty else {
                throw APIError.invalid(kind: entry.kind, group: entry.group, name: "", causes: [
                    APIError.Cause(reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name"),
                ])
            }
            object.set(.string(prefix + randomSuffix()), at: ["metadata", "name"])
        }
        let name = object.metadata("name") ?? ""
        try checkName(name, entry: entry)
        if entry.namespaced {
            let bodyNamespace = object.metadata("namespace")
            if let namespace, let bodyNamespace, !bodyNamespace.isEmpty, bodyNamespace != namespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            guard let resolved = namespace ?? bodyNamespace, !resolved.isEmpty else {
                throw APIError.badRequest("the server could not find the requested resource: a namespace is required for \(entry.groupResource)")
            }
            object.set(.string(resolved), at: ["metadata", "namespace"])
        } else {
            object.set(nil, at: ["metadata", "namespace"])
        }
        for field in systemMetadata + ["deletionTimestamp", "managedFields"] { object.set(nil, at: ["metadata", field]) }
        if entry.hasStatus { object["status"] = nil }
        // A Secret without a type is Opaque (the API server's defaulting).
        if entry.groupResource == GroupResource(group: "", resource: "secrets"), object["type"]?.stringValue?.isEmpty ?? true {
            object["type"] = "Opaque"
        }
        // A namespace is Active from birth (the namespace lifecycle controller's job in a cluster).
        if entry.groupResource == SandboxStore.namespaces { object.set("Active", at: ["status", "phase"]) }
        return object
    }

    static func prepareForUpdate(_ new: JSONValue, old: JSONValue, entry: APIResource, key: ObjectKey) throws -> JSONValue {
        guard case .object = new else { throw APIError.badRequest("the body of the request must be a JSON object") }
        var new = new
        try checkType(new, entry: entry)
        if let name = new.metadata("name"), name != key.name {
            throw APIError.badRequest("the name of the object (\(name)) does not match the name on the URL (\(key.name))")
        }
        if entry.namespaced, let namespace = new.metadata("namespace"), !namespace.isEmpty, namespace != key.namespace {
            throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        new["apiVersion"] = .string(entry.groupVersion)
        new["kind"] = .string(entry.kind)
        new.set(.string(key.name), at: ["metadata", "name"])
        new.set(entry.namespaced ? .string(key.namespace) : nil, at: ["metadata", "namespace"])
        for field in systemMetadata { new.set(old[path: ["metadata", field]], at: ["metadata", field]) }
        new.set(nil, at: ["metadata", "managedFields"])
        return new
    }

    /// Whether anything outside metadata and status changed: what bumps `metadata.generation`.
    static func specChanged(_ old: JSONValue, _ new: JSONValue) -> Bool {
        func body(_ object: JSONValue) -> JSONValue {
            var copy = object
            copy["metadata"] = nil
            copy["status"] = nil
            return copy
        }
        return body(old) != body(new)
    }

    private static func checkType(_ object: JSONValue, entry: APIResource) throws {
        if let kind = object["kind"]?.stringValue, !kind.isEmpty, kind != entry.kind {
            throw APIError.badRequest("the kind of the provided object (\(kind)) does not match the resource \(entry.groupResource) (\(entry.kind))")
        }
        if let apiVersion = object["apiVersion"]?.stringValue, !apiVersion.isEmpty,
           apiVersion.split(separator: "/").count == (entry.group.isEmpty ? 1 : 2),
           !(entry.group.isEmpty ? apiVersion == entry.version : apiVersion.hasPrefix(entry.group + "/")) {
            throw APIError.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(entry.groupVersion))")
        }
    }

    /// A lowercase RFC 1123 subdomain, as most kinds require of their names.
    private static func checkName(_ name: String, entry: APIResource) throws {
        let allowed = name.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 46 }
        let edges = name.first.map { $0.isLetter || $0.isNumber } == true && name.last.map { $0.isLetter || $0.isNumber } == true
        guard allowed, edges, name.count <= 253 else {
            throw APIError.invalid(kind: entry.kind, group: entry.group, name: name, causes: [
                APIError.Cause(reason: "FieldValueInvalid",
                               message: "Invalid value: \"\(name)\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                               field: "metadata.name"),
            ])
        }
    }

    /// Five characters from the alphabet the API server uses for `generateName`.
    private static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }
}

/// The opaque `continue` token of a paged list: the list's resourceVersion and the last
/// key served, base64url-encoded JSON.
struct ContinueToken {
    var resourceVersion: Int
    var after: ObjectKey

    init(resourceVersion: Int, after: ObjectKey) {
        self.resourceVersion = resourceVersion
        self.after = after
    }

    init(_ token: String) throws {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let value = try? JSONValue(data: data),
              let version = value["rv"]?.intValue, let namespace = value["ns"]?.stringValue, let name = value["name"]?.stringValue else {
            throw APIError.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        }
        resourceVersion = version
        after = ObjectKey(namespace: namespace, name: name)
    }

    var encoded: String {
        let value: JSONValue = ["rv": .int(resourceVersion), "ns": .string(after.namespace), "name": .string(after.name)]
        let data = (try? value.data()) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
