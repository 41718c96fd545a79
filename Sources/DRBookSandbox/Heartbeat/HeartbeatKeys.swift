import Foundation

/// The simulated project's keys, random per monitor: healthchecks' hashed-key shapes
/// (`hcw_`/`hcr_` + 28 characters, 32 in all) and a 22-character ping key.
public struct HeartbeatKeys: Sendable, Equatable {
    public let readWrite: String
    public let readOnly: String
    /// The project's ping key, for `/ping/<ping-key>/<slug>` URLs.
    public let pingKey: String

    static func random() -> HeartbeatKeys {
        HeartbeatKeys(readWrite: "hcw_" + token(28), readOnly: "hcr_" + token(28), pingKey: token(22))
    }

    /// URL-safe random characters, like Python's `token_urlsafe`.
    private static func token(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
