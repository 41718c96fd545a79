import Foundation

/// One simulated healthchecks check, as the caller configures it (the sandbox seed, a
/// test). Only "simple" checks (timeout + grace) are simulated: cron checks need a
/// schedule evaluator the sandbox does not have.
public struct HeartbeatCheckConfig: Sendable, Equatable, Codable {
    public var name: String
    /// The slug for `/ping/<ping-key>/<slug>`; derived from `name` as healthchecks v1/v2 do when nil.
    public var slug: String?
    /// Seconds between expected pings (healthchecks' `timeout`).
    public var timeout: Int
    /// Seconds after `timeout` before the check is down (healthchecks' `grace`).
    public var grace: Int
    public var tags: String
    public var desc: String
    /// Whether the check starts paused (as if someone paused it in the UI).
    public var paused: Bool
    /// With true, pings to a paused check are logged as `ign` and do not resume it.
    public var manualResume: Bool
    /// `""` or `"POST"`: with `"POST"`, GET/HEAD pings are logged as `ign`.
    public var methods: String
    /// A fixed UUID (lower case, with dashes); a random one when nil.
    public var uuid: String?

    public init(name: String, slug: String? = nil, timeout: Int, grace: Int, tags: String = "", desc: String = "",
                paused: Bool = false, manualResume: Bool = false, methods: String = "", uuid: String? = nil) {
        self.name = name
        self.slug = slug
        self.timeout = timeout
        self.grace = grace
        self.tags = tags
        self.desc = desc
        self.paused = paused
        self.manualResume = manualResume
        self.methods = methods
        self.uuid = uuid
    }

    /// healthchecks' `slugify`: lower case, runs of anything but [a-z0-9_-] become `-`.
    var effectiveSlug: String {
        if let slug { return slug }
        var out = ""
        for character in name.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber || character == "_" || character == "-" {
                out.append(character)
            } else if !out.hasSuffix("-") {
                out.append("-")
            }
        }
        return String(out.drop { $0 == "-" }.reversed().drop { $0 == "-" }.reversed())
    }
}
