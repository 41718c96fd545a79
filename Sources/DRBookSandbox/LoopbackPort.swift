import FlyingFox
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports: a free one to listen on, and whether something accepts connections.
enum LoopbackPort {
    /// A port for a server that must be told its port before it binds (nginx, the heartbeat
    /// monitor). It comes from below the kernel's ephemeral range, where `bind(0)` and outgoing
    /// connections never land, so no other server can take it between this check and the
    /// bind; and it is never handed out twice by this process.
    static func free() throws -> Int {
        let ephemeralStart = ephemeralRangeStart()
        let candidates = 20_000..<max(20_001, ephemeralStart)
        for _ in 0..<200 {
            let port = Int.random(in: candidates)
            guard claimed.withLock({ $0.insert(port).inserted }) else { continue }
            if canBind(port) { return port }
        }
        throw SandboxError.server("no free loopback port in \(candidates.lowerBound)..<\(candidates.upperBound)")
    }

    private static let claimed = Mutex<Set<Int>>([])

    /// `/proc/sys/net/ipv4/ip_local_port_range`'s first number (Linux's default 32768).
    private static func ephemeralRangeStart() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
              let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first,
              let start = Int(first) else { return 32_768 }
        return start
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Whether a TCP connection to 127.0.0.1:`port` succeeds now.
    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}

/// The sandbox's HTTP servers (the API server, the heartbeat monitor): FlyingFox on
/// 127.0.0.1, started and waited for until it listens. A loaded machine may take seconds
/// to schedule the server's first task, so the wait is generous.
enum LoopbackServer {
    static let listenTimeout: TimeInterval = 60

    static func start(port: Int, requestTimeout: TimeInterval, handler: some HTTPHandler,
                      name: String? = nil) async throws -> (server: HTTPServer, task: Task<Void, Error>) {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: UInt16(port)), timeout: requestTimeout,
                                logger: .disabled, handler: handler)
        let task = Task { try await server.run() }
        do {
            try await server.waitUntilListening(timeout: listenTimeout)
        } catch {
            task.cancel()
            throw SandboxError.server((name.map { "\($0): " } ?? "") + "could not listen on 127.0.0.1:\(port): \(error)")
        }
        return (server, task)
    }
}
