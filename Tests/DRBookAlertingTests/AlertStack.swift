import DRBookHTTP
import DRBookSandbox
import DRBookTestSupport
import Foundation
import Synchronization

/// Debian's Alertmanager and Prometheus on loopback with the platform's alert path, fast:
/// a Watchdog rule (`vector(1)`) evaluated every second, routed to a `heartbeat` webhook
/// receiver that pings the sandbox's simulated healthchecks monitor.
final class AlertStack: Sendable {
    let monitor: HeartbeatMonitor
    private let running: Mutex<ServerProcess>
    let prometheus: ServerProcess
    let directory: TemporaryDirectory
    let pingURL: URL
    let groupInterval = "2s"
    let repeatInterval = "3s"

    private init(monitor: HeartbeatMonitor, alertmanager: ServerProcess, prometheus: ServerProcess, directory: TemporaryDirectory, pingURL: URL) {
        self.monitor = monitor
        self.running = Mutex(alertmanager)
        self.prometheus = prometheus
        self.directory = directory
        self.pingURL = pingURL
    }

    struct StackError: Error, CustomStringConvertible { var description: String }

    /// - Parameter heartbeatURL: where the heartbeat receiver posts; the monitor's check by default.
    static func start(heartbeatURL: URL? = nil) async throws -> AlertStack {
        let install = "apt-get install -y prometheus prometheus-alertmanager (scripts/install-deps installs them)"
        let alertmanagerBinary = try Tools.require("prometheus-alertmanager", install: install)
        let prometheusBinary = try Tools.require("prometheus", install: install)
        let directory = try TemporaryDirectory()
        let monitor = try await HeartbeatMonitor.start(checks: [HeartbeatCheckConfig(name: "watchdog", timeout: 60, grace: 120, methods: "POST")])
        let pingURL = try await { () async throws -> URL in
            guard let url = await monitor.pingURL(for: "watchdog") else { throw StackError(description: "the heartbeat monitor has no watchdog check") }
            return url
        }()
        try """
            route:
              receiver: slack
              group_by: [alertname]
              group_wait: 1s
              group_interval: 2s
              repeat_interval: 1h
              routes:
                - matchers: ['alertname="Watchdog"']
                  receiver: heartbeat
                  group_wait: 1s
                  group_interval: 2s
                  repeat_interval: 3s
            receivers:
              - name: slack
              - name: heartbeat
                webhook_configs:
                  - url: \((heartbeatURL ?? pingURL).absoluteString)
                    send_resolved: false
            """.write(toFile: directory.path("alertmanager.yml"), atomically: true, encoding: .utf8)
        let alertmanager = try await startAlertmanager(binary: alertmanagerBinary, directory: directory)
        try """
            groups:
              - name: general.rules
                rules:
                  - alert: Watchdog
                    expr: vector(1)
                    labels: {severity: none}
                    annotations: {summary: An alert that should always be firing.}
            """.write(toFile: directory.path("rules.yml"), atomically: true, encoding: .utf8)
        try prometheusConfig(directory: directory, alertmanagerPort: alertmanager.port)
        let prometheus = try await ServerProcess.start {
            try ServerProcess.python("run_bound.py", ["/-/ready", prometheusBinary,
                "--config.file=\(directory.path("prometheus.yml"))", "--storage.tsdb.path=\(directory.path("prom-data"))",
                "--web.listen-address=127.0.0.1:{port}", "--rules.alert.resend-delay=1s", "--web.enable-lifecycle"], name: "prometheus")
        }
        return AlertStack(monitor: monitor, alertmanager: alertmanager, prometheus: prometheus, directory: directory, pingURL: pingURL)
    }

    var alertmanager: ServerProcess { running.withLock { $0 } }

    private static let install = "apt-get install -y prometheus prometheus-alertmanager (scripts/install-deps installs them)"

    private static func startAlertmanager(binary: String, directory: TemporaryDirectory) async throws -> ServerProcess {
        try await ServerProcess.start {
            try ServerProcess.python("run_bound.py", ["/-/ready", binary,
                "--config.file=\(directory.path("alertmanager.yml"))", "--storage.path=\(directory.path("am-data"))",
                "--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="], name: "alertmanager")
        }
    }

    private static func prometheusConfig(directory: TemporaryDirectory, alertmanagerPort: Int) throws {
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [\(directory.path("rules.yml"))]
            alerting:
              alertmanagers:
                - static_configs:
                    - targets: ['127.0.0.1:\(alertmanagerPort)']
            """.write(toFile: directory.path("prometheus.yml"), atomically: true, encoding: .utf8)
    }

    /// Stops Alertmanager; its pings stop with it.
    func stopAlertmanager() {
        alertmanager.stop()
    }

    /// Starts Alertmanager again on the same storage (a pod restart with its volume) and points
    /// Prometheus at it: run_bound chooses a new port, so Prometheus reloads its config.
    func startAlertmanagerAgain() async throws {
        let binary = try Tools.require("prometheus-alertmanager", install: Self.install)
        let started = try await Self.startAlertmanager(binary: binary, directory: directory)
        running.withLock { $0 = started }
        try Self.prometheusConfig(directory: directory, alertmanagerPort: started.port)
        let response = try await HTTPClient.shared.send(HTTPRequest(.post, prometheus.baseURL.appendingPathComponent("-/reload")))
        guard response.status == 200 else {
            throw StackError(description: "Prometheus did not reload its config: HTTP \(response.status) \(response.bodyText)")
        }
    }

    func stop() async {
        prometheus.stop()
        alertmanager.stop()
        await monitor.stop()
    }
}

/// Runs `body` with a started stack and stops it afterwards, whether `body` passed or threw.
func withAlertStack(heartbeatURL: URL? = nil, _ body: (AlertStack) async throws -> Void) async throws {
    let stack = try await AlertStack.start(heartbeatURL: heartbeatURL)
    do {
        try await body(stack)
    } catch {
        await stack.stop()
        throw error
    }
    await stack.stop()
}

/// Polls `condition` until it holds or `seconds` pass; the last value is returned either way.
func eventually<T: Sendable>(seconds: Double = 40, _ probe: @Sendable () async throws -> T, until condition: (T) -> Bool) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    var value = try await probe()
    while !condition(value) && Date() < deadline {
        try await Task.sleep(for: .milliseconds(250))
        value = try await probe()
    }
    return value
}
