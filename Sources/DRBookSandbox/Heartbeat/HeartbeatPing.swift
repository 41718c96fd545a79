import Foundation

/// What a ping did, in healthchecks' words (`Ping.kind` as the API reports it).
public enum HeartbeatPingKind: String, Sendable, Codable, Equatable {
    case success, start, fail, log, ign
}

/// One received ping, recorded as healthchecks records it.
public struct HeartbeatPing: Sendable, Equatable {
    /// 1-based sequence number within the check (healthchecks' `n`).
    public var n: Int
    public var date: Date
    public var kind: HeartbeatPingKind
    public var method: String
    public var bodySize: Int
    /// The exit status of a `/<code>` ping (the API does not return it, the Swift API does).
    public var exitStatus: Int?
    public var userAgent: String
    public var rid: String?
    /// Seconds since the matching `/start`, for success and fail pings that close a run.
    public var duration: Double?
}
