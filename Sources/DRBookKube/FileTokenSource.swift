import Foundation

/// A bearer token read from a file and re-read when the cached copy is older than the
/// period less the leeway (client-go `NewCachedFileTokenSource`: 1 min, 10 s leeway), so
/// rotated service-account tokens are picked up.
public actor FileTokenSource {
    public let path: String
    private let clock: KubeClock
    private let period: TimeInterval
    private let leeway: TimeInterval
    private let unreadable: @Sendable (String, String) -> KubeconfigError
    private var cached: (token: String, readAt: Date)?
    /// How many times the file was read.
    public private(set) var reads = 0

    public init(path: String, clock: KubeClock = .system, period: TimeInterval = 60, leeway: TimeInterval = 10) {
        self.init(path: path, clock: clock, period: period, leeway: leeway, unreadable: KubeconfigError.tokenFileUnreadable)
    }

    init(path: String, clock: KubeClock, period: TimeInterval = 60, leeway: TimeInterval = 10,
         unreadable: @escaping @Sendable (String, String) -> KubeconfigError) {
        self.path = path
        self.clock = clock
        self.period = period
        self.leeway = leeway
        self.unreadable = unreadable
    }

    /// The token and when it was read.
    public func token() throws -> (token: String, readAt: Date) {
        let now = clock.now()
        if let cached, now < cached.readAt.addingTimeInterval(period - leeway) { return cached }
        reads += 1
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw unreadable(path, (error as NSError).localizedDescription)
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw unreadable(path, "the file is empty") }
        cached = (token, now)
        return (token, now)
    }

    /// After a 401: forget a token read before the failed request started.
    public func invalidate(readBefore start: Date) {
        if let cached, cached.readAt <= start { self.cached = nil }
    }
}
