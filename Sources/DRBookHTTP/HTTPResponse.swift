import Foundation

/// A complete response whose body was held in memory.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data
    /// Attempts made, the successful one included.
    public var attempts: Int
    /// New connections this exchange opened: 0 when it reused a pooled one.
    public var newConnections: Int

    public init(status: Int, headers: HTTPHeaders, body: Data, attempts: Int = 1, newConnections: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.attempts = attempts
        self.newConnections = newConnections
    }

    public var isSuccess: Bool { (200...299).contains(status) }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// The head of a response whose body arrives chunk by chunk through `body`.
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var attempts: Int
    public var body: HTTPBody

    public var isSuccess: Bool { (200...299).contains(status) }
}

/// A response body as it arrives. Read it with `for try await chunk in body` or, from a
/// thread that may block (a libarchive reader), with `nextChunkBlocking()`. Only one
/// reader at a time. Dropping it before the end cancels the transfer.
public final class HTTPBody: AsyncSequence, Sendable {
    public typealias Element = Data
    let channel: BodyChannel
    private let onDrop: @Sendable () -> Void

    init(channel: BodyChannel, onDrop: @escaping @Sendable () -> Void) {
        self.channel = channel
        self.onDrop = onDrop
    }

    deinit { onDrop() }

    /// The next chunk, or nil at the end of the body.
    public func next() async throws -> Data? {
        try await withTaskCancellationHandler { try await channel.next() } onCancel: { onDrop() }
    }

    /// The next chunk, blocking the calling thread. Never call it on Swift's cooperative pool.
    public func nextChunkBlocking() throws -> Data? { try channel.nextBlocking() }

    /// Stops the transfer; later reads end with a cancellation error.
    public func cancel() { onDrop() }

    /// Reads the rest of the body into memory, failing past `limit` bytes.
    public func collect(upTo limit: Int) async throws -> Data {
        var data = Data()
        while let chunk = try await next() {
            guard data.count + chunk.count <= limit else {
                cancel()
                throw HTTPBodyTooLarge(limit: limit)
            }
            data.append(chunk)
        }
        return data
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPBody
        public mutating func next() async throws -> Data? { try await body.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}

public struct HTTPBodyTooLarge: Error, CustomStringConvertible {
    public var limit: Int
    public var description: String { "the response body is larger than \(limit) bytes; read it as a stream instead" }
}
