import Foundation

/// Where an item sits in a backup tarball:
/// `resources/<groupResource>/[<versionDir>/]<scope>/[<ns>/]<name>.json`.
public struct TarballItemPath: Sendable, Equatable, Hashable {
    /// `pods`, `persistentvolumeclaims`, `statefulsets.apps`, …
    public var groupResource: String
    /// `v1-preferredversion`, `v1beta1`, or nil for the unversioned copy.
    public var versionDirectory: String?
    /// Nil for cluster-scoped items.
    public var namespace: String?
    public var name: String

    /// Velero writes the preferred version twice; read `*-preferredversion/` first,
    /// then the unversioned copy, then any other version.
    public var preference: Int {
        guard let versionDirectory else { return 1 }
        return versionDirectory.hasSuffix("-preferredversion") ? 0 : 2
    }

    public init?(_ path: String) {
        var path = path
        guard let parsed = path.withUTF8({ Self(utf8: $0) }) else { return nil }
        self = parsed
    }

    /// Parses the path's UTF-8 bytes, comparing components as bytes: a namespace can
    /// hold thousands of items, and Character-wise string operations would cost more
    /// than the rest of the scan.
    public init?(utf8 path: UnsafeBufferPointer<UInt8>) {
        var parts: [Slice<UnsafeBufferPointer<UInt8>>] = []
        parts.reserveCapacity(6)
        var start = path.startIndex
        for index in path.indices where path[index] == UInt8(ascii: "/") {
            parts.append(path[start..<index])
            start = index + 1
        }
        parts.append(path[start...])
        func string(_ part: Slice<UnsafeBufferPointer<UInt8>>) -> String { String(decoding: part, as: UTF8.self) }
        func equals(_ part: Slice<UnsafeBufferPointer<UInt8>>, _ literal: StaticString) -> Bool {
            part.elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }
        let suffix: StaticString = ".json"
        guard parts.count >= 4, equals(parts[0], "resources"), !parts[1].isEmpty, let file = parts.last,
              file.count > suffix.utf8CodeUnitCount, equals(file.suffix(suffix.utf8CodeUnitCount), suffix) else { return nil }
        groupResource = string(parts[1])
        var index = 2
        if !equals(parts[index], "namespaces") && !equals(parts[index], "cluster") {
            versionDirectory = string(parts[index])
            index += 1
        } else {
            versionDirectory = nil
        }
        guard index < parts.count else { return nil }
        if equals(parts[index], "namespaces") && parts.count == index + 3 {
            namespace = string(parts[index + 1])
        } else if equals(parts[index], "cluster") && parts.count == index + 2 {
            namespace = nil
        } else {
            return nil
        }
        name = string(file.dropLast(suffix.utf8CodeUnitCount))
    }
}

/// A PVC as the tarball holds it.
public struct BackedUpPVC: Sendable, Equatable, Codable {
    public var name: String
    /// `spec.resources.requests.storage`, e.g. `20Gi`.
    public var requestedStorage: String?
    public var storageClassName: String?
    public var volumeName: String?
    /// The tarball entry it was read from.
    public var entry: String
}

/// A pod as the tarball holds it, with the PVCs it mounts.
public struct BackedUpPod: Sendable, Equatable, Codable {
    public var name: String
    /// Pod volume name → PVC name.
    public var claims: [String: String]
    /// `kind/name` of its controller, e.g. `StatefulSet/loki`.
    public var owner: String?
    public var entry: String
}

/// What one backup's tarball holds for one namespace, read in one streaming pass.
public struct TarballIndex: Sendable, Equatable, Codable {
    public var backup: String
    public var namespace: String
    /// `metadata/version` (`1.1.0` for current Velero), nil when absent.
    public var formatVersion: String?
    public var entryCount: Int
    /// Names of the namespace's items by group-resource (`statefulsets.apps` → names).
    public var items: [String: [String]]
    public var persistentVolumeClaims: [String: BackedUpPVC]
    public var pods: [String: BackedUpPod]
    /// Whether the Namespace object itself (`resources/namespaces/cluster/<ns>.json`) is present.
    public var namespaceObjectPresent: Bool

    /// Pods that mount `pvc`, by name.
    public func pods(mounting pvc: String) -> [BackedUpPod] {
        pods.values.filter { $0.claims.values.contains(pvc) }.sorted { $0.name < $1.name }
    }

    public func count(of groupResource: String) -> Int { items[groupResource]?.count ?? 0 }
}

// The slices of Kubernetes objects the index reads.
struct PVCDocument: Decodable {
    struct Meta: Decodable { var name: String }
    struct Spec: Decodable {
        struct Resources: Decodable { var requests: [String: String]? }
        var resources: Resources?
        var storageClassName: String?
        var volumeName: String?
    }
    var metadata: Meta
    var spec: Spec?
}

struct PodDocument: Decodable {
    struct Meta: Decodable {
        struct Owner: Decodable {
            var kind: String
            var name: String
            var controller: Bool?
        }
        var name: String
        var ownerReferences: [Owner]?
    }
    struct Spec: Decodable {
        struct Volume: Decodable {
            struct Claim: Decodable { var claimName: String }
            var name: String
            var persistentVolumeClaim: Claim?
        }
        var volumes: [Volume]?
    }
    var metadata: Meta
    var spec: Spec?
}
