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

    /// Whether a server could listen on 127.0.0.1:`port` now. SO_REUSEADDR as the servers
    /// set it (nginx, FlyingFox), so connections of an earlier sandbox in TIME_WAIT do not
    /// count, while a listener does.
    static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
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

    /// Who listens on `port`, as `nginx (pid 1234)`, when Linux's /proc tells (a process of
    /// another user hides its sockets; then nil).
    static func holder(of port: Int) -> String? {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: /proc files report size 0, and a table of many sockets spans pages.
            guard let handle = FileHandle(forReadingAtPath: table), let data = try? handle.readToEnd(),
                  let text = String(data: data, encoding: .utf8) else { continue }
            try? handle.close()
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is the tenth field.
                guard fields.count > 9, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":"),
                      Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        guard !inodes.isEmpty, let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for pid in pids where Int(pid) != nil {
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for fd in fds {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                      target.hasPrefix("socket:["), inodes.contains(String(target.dropFirst(8).dropLast())) else { continue }
                let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "a process"
                return "\(name) (pid \(pid))"
            }
        }
        return nil
    }

    /// Throws `SandboxError.portInUse` unless a server could listen on `port` now.
    static func requireFree(_ port: Int) throws {
        guard canBind(port) else { throw SandboxError.portInUse(port, holder: holder(of: port)) }
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
