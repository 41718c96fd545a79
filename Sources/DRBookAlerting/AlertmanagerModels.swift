import Foundation

// Alertmanager API v2 (`/api/v2/`) as 0.25 and later write it (reference alerting.md §1).

/// `GET /status`.
public struct AlertmanagerStatus: Decodable, Sendable {
    public struct Cluster: Decodable, Sendable {
        public struct Peer: Decodable, Sendable {
            public var name: String
            public var address: String
        }
        /// `ready`, `settling` or `disabled`.
        public var status: String
        public var name: String?
        public var peers: [Peer]?
    }
    public struct VersionInfo: Decodable, Sendable {
        public var version: String
        public var revision: String?
        public var branch: String?
    }
    public struct Config: Decodable, Sendable {
        /// The loaded configuration re-serialised: defaults filled in, and on 0.26+ secret
        /// URLs shown as `<secret>`. Compare it parsed, never as text.
        public var original: String
    }
    public var cluster: Cluster
    public var versionInfo: VersionInfo
    public var config: Config
    public var uptime: Date
}

public struct AlertmanagerReceiver: Codable, Sendable, Equatable {
    public var name: String
}

/// `GET /alerts`: an alert as Alertmanager holds it.
public struct AlertmanagerAlert: Decodable, Sendable {
    public struct Status: Decodable, Sendable {
        /// `unprocessed`, `active` or `suppressed`.
        public var state: String
        public var silencedBy: [String]
        public var inhibitedBy: [String]
        /// 0.28+; absent on 0.25.
        public var mutedBy: [String]?
    }
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Receivers from the *current* routing tree.
    public var receivers: [AlertmanagerReceiver]
    public var fingerprint: String
    public var startsAt: Date
    public var updatedAt: Date
    /// For alerts from Prometheus a time in the future, renewed on every resend.
    public var endsAt: Date
    public var generatorURL: String?
    public var status: Status

    public var name: String? { labels["alertname"] }
    public var isActive: Bool { status.state == "active" }
    public var isSilenced: Bool { !status.silencedBy.isEmpty }
    public var isInhibited: Bool { !status.inhibitedBy.isEmpty }
    public var isMuted: Bool { !(status.mutedBy ?? []).isEmpty }
}

/// A label matcher as silences carry it.
public struct AlertmanagerMatcher: Codable, Sendable, Equatable {
    public var name: String
    public var value: String
    public var isRegex: Bool
    /// Absent means true (`=`, `=~`).
    public var isEqual: Bool?

    public init(name: String, value: String, isRegex: Bool = false, isEqual: Bool = true) {
        self.name = name
        self.value = value
        self.isRegex = isRegex
        self.isEqual = isEqual
    }

    /// The matcher in the text form `filter` parameters take: `alertname="Watchdog"`.
    public var filterText: String {
        let op: String
        switch (isEqual ?? true, isRegex) {
        case (true, false): op = "="
        case (true, true): op = "=~"
        case (false, false): op = "!="
        case (false, true): op = "!~"
        }
        let quoted = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\(name)\(op)\"\(quoted)\""
    }
}

/// A silence to create (`POST /silences`).
public struct AlertmanagerSilenceRequest: Encodable, Sendable {
    public var matchers: [AlertmanagerMatcher]
    public var startsAt: Date
    public var endsAt: Date
    public var createdBy: String
    public var comment: String

    public init(matchers: [AlertmanagerMatcher], startsAt: Date, endsAt: Date, createdBy: String, comment: String) {
        self.matchers = matchers
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdBy = createdBy
        self.comment = comment
    }
}

/// `GET /silences`.
public struct AlertmanagerSilence: Decodable, Sendable {
    public struct Status: Decodable, Sendable {
        /// `active`, `pending` or `expired`.
        public var state: String
    }
    public var id: String
    public var matchers: [AlertmanagerMatcher]
    public var startsAt: Date
    public var endsAt: Date
    public var updatedAt: Date?
    public var createdBy: String
    public var comment: String
    public var status: Status
}

/// Which alerts `GET /alerts` returns. Nil leaves Alertmanager's default (true).
public struct AlertmanagerAlertQuery: Sendable {
    public var matchers: [AlertmanagerMatcher]
    public var active: Bool?
    public var silenced: Bool?
    public var inhibited: Bool?
    /// A regex over receiver names; the server anchors it.
    public var receiver: String?

    public init(matchers: [AlertmanagerMatcher] = [], active: Bool? = nil, silenced: Bool? = nil, inhibited: Bool? = nil, receiver: String? = nil) {
        self.matchers = matchers
        self.active = active
        self.silenced = silenced
        self.inhibited = inhibited
        self.receiver = receiver
    }

    public static func alertname(_ name: String) -> AlertmanagerAlertQuery {
        AlertmanagerAlertQuery(matchers: [AlertmanagerMatcher(name: "alertname", value: name)])
    }

    var parameters: [(String, String)] {
        var query = matchers.map { ("filter", $0.filterText) }
        if let active { query.append(("active", String(active))) }
        if let silenced { query.append(("silenced", String(silenced))) }
        if let inhibited { query.append(("inhibited", String(inhibited))) }
        if let receiver { query.append(("receiver", receiver)) }
        return query
    }
}
