import DRBookKube
import Foundation

extension GroupResource {
    /// The store's key for a resource the client knows by its typed descriptor.
    public init(_ resource: KubeResource) {
        self.init(group: resource.group, resource: resource.resource)
    }
}

/// Annotations a test or a demo sets on an object to steer a simulated controller.
/// They exist only in the sandbox; no real controller reads them.
public enum SimulationAnnotation {
    /// On a Backup or Restore: `Failed` or `PartiallyFailed` makes it end so.
    /// On a PVC or a pod: `Failed` makes its pod-volume backup fail.
    public static let outcome = "sandbox.drbook.dev/simulate-outcome"
    /// On a PVC: the bytes its volume holds, reported by pod-volume backups and restores.
    public static let usedBytes = "sandbox.drbook.dev/used-bytes"
    /// On a Schedule of the seed: how many days it has run when the sandbox starts, one
    /// Completed backup per firing (`drbook sandbox start --history N` overrides it).
    public static let historyDays = "sandbox.drbook.dev/history-days"
}

/// Time and identifiers for the simulated controllers, injectable so tests can pin them.
public struct SimulationClock: Sendable {
    public var now: @Sendable () -> Date
    public init(now: @escaping @Sendable () -> Date = { Date() }) { self.now = now }
}

enum SimulationRandom {
    /// Lower-case hex, like the random parts of names and snapshot ids.
    static func hex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &generator)! })
    }

    /// The suffix `generateName` gets: five characters of [a-z0-9].
    static func suffix() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<5).map { _ in "bcdfghjklmnpqrstvwxz2456789".randomElement(using: &generator)! })
    }
}

extension JSONValue {
    var name: String { self[path: ["metadata", "name"]]?.stringValue ?? "" }
    var namespace: String? { self[path: ["metadata", "namespace"]]?.stringValue }
    var uid: String? { self[path: ["metadata", "uid"]]?.stringValue }
    var annotations: [String: String] {
        (self[path: ["metadata", "annotations"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }
    func string(_ path: String...) -> String? { self[path: path]?.stringValue }
}
