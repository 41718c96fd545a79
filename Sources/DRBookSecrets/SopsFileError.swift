/// Why a file could not be read as a SOPS file: what, where, and what to do.
public struct SopsFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case unreadable, syntax, notSops, malformedMetadata
    }

    public var kind: Kind
    public var what: String
    public var position: SourcePosition
    public var fix: String

    public init(_ kind: Kind, _ what: String, at position: SourcePosition, fix: String) {
        self.kind = kind
        self.what = what
        self.position = position
        self.fix = fix
    }

    public var description: String { "\(position): \(what). \(fix)" }
}
