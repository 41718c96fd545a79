/// A decrypted secret. It never prints itself: string interpolation, `print` and `dump`'s
/// description show only its length, so a value cannot slip into a log line by accident.
/// Code that must use the text (a validator, a digest) asks for `revealed` explicitly.
public struct SecretValue: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let revealed: String

    public init(_ text: String) { revealed = text }

    public var count: Int { revealed.count }
    public var description: String { "[secret, \(revealed.count) characters]" }
    public var debugDescription: String { description }
}
