import DRBookAlerting
import DRBookSandbox
import Foundation
import Testing

@Suite("healthchecks' Management API: keys, errors, ping URLs (never requested)", .timeLimit(.minutes(2)))
struct HealthchecksClientTests {
    @Test("ping URLs are taken apart without being requested: UUID and slug forms, with kind suffixes")
    func pingURLs() throws {
        let uuid = "31365bce-8da9-4729-8ff3-aaa71d56b712"
        for suffix in ["", "/", "/start", "/fail", "/log", "/0", "/17"] {
            let parsed = try #require(HealthchecksPingURL("https://hc-ping.com/\(uuid)\(suffix)"))
            #expect(parsed.target == .uuid(uuid))
            #expect(parsed.endpoint == "https://hc-ping.com/")
            #expect(parsed.description == "https://hc-ping.com/…b712")
        }
        let slug = try #require(HealthchecksPingURL("http://hc.internal:8000/ping/fqOOd6-F4MMNuCEnzTU01w/watchdog/fail"))
        #expect(slug.target == .slug("watchdog"))
        #expect(slug.description == "http://hc.internal:8000/ping/<ping key>/watchdog")
        #expect(HealthchecksPingURL("https://example.invalid") == nil)
        #expect(HealthchecksPingURL("not a url") == nil)
        // The documented examples (alerting.md §8.4).
        #expect(HealthchecksPingURL.uniqueKey(uuid: uuid) == "a6c7b0a8a66bed0df66abfdab3c77736861703ee")
    }

    @Test("a read-only key finds the check by unique_key, cannot read pings, and a wrong key is told apart")
    func keys() async throws {
        let monitor = try await HeartbeatMonitor.start(checks: [HeartbeatCheckConfig(name: "watchdog", timeout: 300, grace: 600)])
        do {
            try await checkKeys(monitor)
        } catch {
            await monitor.stop()
            throw error
        }
        await monitor.stop()
    }

    func checkKeys(_ monitor: HeartbeatMonitor) async throws {
        let url = try #require(await monitor.pingURL(for: "watchdog"))
        let pingURL = try #require(HealthchecksPingURL(url.absoluteString))

        let readOnly = HealthchecksClient(apiBase: monitor.apiURL, apiKey: monitor.keys.readOnly)
        #expect(readOnly.keyKind == .readOnly)
        let check = try await readOnly.check(pingedBy: pingURL)
        #expect(check.status == "new" && check.nPings == 0 && check.lastPing == nil)
        #expect(check.uuid == nil && check.uniqueKey != nil)
        let refused = await #expect(throws: AlertingAPIError.self) { try await readOnly.pings(uuid: "x") }
        #expect(refused?.fix.contains("read-write key (hcw_") == true)

        let wrong = HealthchecksClient(apiBase: monitor.apiURL, apiKey: "hcw_" + String(repeating: "x", count: 28))
        let unauthorized = await #expect(throws: AlertingAPIError.self) { try await wrong.checks() }
        #expect(unauthorized?.status == 401)
        #expect(unauthorized?.message == "wrong api key")

        let readWrite = HealthchecksClient(apiBase: monitor.apiURL, apiKey: monitor.keys.readWrite)
        let missing = await #expect(throws: AlertingAPIError.self) { try await readWrite.check("00000000-0000-4000-8000-000000000000") }
        #expect(missing?.status == 404)
        #expect(missing?.fix.contains("does not exist") == true)
        #expect(try await readWrite.checks(slug: "watchdog").map(\.name) == ["watchdog"])
        #expect(try await readWrite.flips(try #require(await monitor.uuid(of: "watchdog"))).isEmpty)

        let noKey = #expect(throws: AlertingAPIError.self) { try HealthchecksClient.apiKey(fromEnvironment: "HC_KEY", environment: [:]) }
        #expect(noKey?.message == "HC_KEY is not set")
        #expect(try HealthchecksClient.apiKey(fromEnvironment: "HC_KEY", environment: ["HC_KEY": " hcr_abc \n"]) == "hcr_abc")
    }
}
