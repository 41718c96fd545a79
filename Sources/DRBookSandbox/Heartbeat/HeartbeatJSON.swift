import Foundation

/// The JSON healthchecks' Management API returns (reference §8.4, §8.6, §8.7), Codable.
struct HeartbeatCheckJSON: Encodable {
    var name, slug, tags, desc: String
    var grace: Int
    var nPings: Int
    var status: String
    var started: Bool
    var lastPing: String?
    var nextPing: String?
    var manualResume: Bool
    var methods: String
    var subject = "", subjectFail = "", startKw = "", successKw = "", failureKw = ""
    var filterSubject = false, filterBody = false, filterHttpBody = false, filterDefaultFail = false
    var badgeURL: String
    var lastDuration: Int?
    var timeout: Int
    // Read-write key only.
    var uuid, pingURL, updateURL, pauseURL, resumeURL, channels: String?
    // Read-only key only.
    var uniqueKey: String?

    enum CodingKeys: String, CodingKey {
        case name, slug, tags, desc, grace, status, started, methods, subject, timeout, uuid, channels
        case nPings = "n_pings", lastPing = "last_ping", nextPing = "next_ping", manualResume = "manual_resume"
        case subjectFail = "subject_fail", startKw = "start_kw", successKw = "success_kw", failureKw = "failure_kw"
        case filterSubject = "filter_subject", filterBody = "filter_body", filterHttpBody = "filter_http_body"
        case filterDefaultFail = "filter_default_fail", badgeURL = "badge_url", lastDuration = "last_duration"
        case pingURL = "ping_url", updateURL = "update_url", pauseURL = "pause_url", resumeURL = "resume_url"
        case uniqueKey = "unique_key"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(slug, forKey: .slug); try c.encode(tags, forKey: .tags)
        try c.encode(desc, forKey: .desc); try c.encode(grace, forKey: .grace); try c.encode(nPings, forKey: .nPings)
        try c.encode(status, forKey: .status); try c.encode(started, forKey: .started)
        // last_ping and next_ping are always present, null when unset.
        try c.encode(lastPing, forKey: .lastPing); try c.encode(nextPing, forKey: .nextPing)
        try c.encode(manualResume, forKey: .manualResume); try c.encode(methods, forKey: .methods)
        try c.encode(subject, forKey: .subject); try c.encode(subjectFail, forKey: .subjectFail)
        try c.encode(startKw, forKey: .startKw); try c.encode(successKw, forKey: .successKw); try c.encode(failureKw, forKey: .failureKw)
        try c.encode(filterSubject, forKey: .filterSubject); try c.encode(filterBody, forKey: .filterBody)
        try c.encode(filterHttpBody, forKey: .filterHttpBody); try c.encode(filterDefaultFail, forKey: .filterDefaultFail)
        try c.encode(badgeURL, forKey: .badgeURL); try c.encode(timeout, forKey: .timeout)
        // Present only when measured / for the key kind that sees them.
        try c.encodeIfPresent(lastDuration, forKey: .lastDuration)
        try c.encodeIfPresent(uuid, forKey: .uuid); try c.encodeIfPresent(pingURL, forKey: .pingURL)
        try c.encodeIfPresent(updateURL, forKey: .updateURL); try c.encodeIfPresent(pauseURL, forKey: .pauseURL)
        try c.encodeIfPresent(resumeURL, forKey: .resumeURL); try c.encodeIfPresent(channels, forKey: .channels)
        try c.encodeIfPresent(uniqueKey, forKey: .uniqueKey)
    }
}

struct HeartbeatChecksJSON: Encodable { var checks: [HeartbeatCheckJSON] }

struct HeartbeatPingJSON: Encodable {
    var type: String
    var date: String
    var n: Int
    var scheme: String
    var remoteAddr: String?
    var method: String
    var ua: String
    var rid: String?
    var duration: Double?
    var bodyURL: String?

    enum CodingKeys: String, CodingKey {
        case type, date, n, scheme, method, ua, rid, duration
        case remoteAddr = "remote_addr", bodyURL = "body_url"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type); try c.encode(date, forKey: .date); try c.encode(n, forKey: .n)
        try c.encode(scheme, forKey: .scheme); try c.encode(remoteAddr, forKey: .remoteAddr)
        try c.encode(method, forKey: .method); try c.encode(ua, forKey: .ua); try c.encode(rid, forKey: .rid)
        try c.encodeIfPresent(duration, forKey: .duration); try c.encode(bodyURL, forKey: .bodyURL)
    }
}

struct HeartbeatPingsJSON: Encodable { var pings: [HeartbeatPingJSON] }

struct HeartbeatFlipJSON: Encodable { var timestamp: String; var up: Int }
struct HeartbeatFlipsJSON: Encodable { var flips: [HeartbeatFlipJSON] }

struct HeartbeatErrorJSON: Encodable { var error: String }

/// healthchecks' ISO-8601: UTC with `+00:00`; microseconds only where asked and non-zero.
enum HeartbeatTime {
    static func format(_ date: Date, microseconds: Bool = false) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let whole = date.timeIntervalSince1970.rounded(.down)
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: whole))
        var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
        let micros = Int(((date.timeIntervalSince1970 - whole) * 1_000_000).rounded())
        if microseconds, micros > 0, micros < 1_000_000 { text += String(format: ".%06d", micros) }
        return text + "+00:00"
    }
}
