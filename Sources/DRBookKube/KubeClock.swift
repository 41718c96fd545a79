import Foundation

/// The time as credential caches see it; tests inject their own.
public struct KubeClock: Sendable {
    public var now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    public static let system = KubeClock { Date() }
}
