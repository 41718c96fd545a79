import Foundation
import Testing
@testable import DRBookRunbook

@Suite("The worked example in docs/runbook-format.md")
struct WorkedExampleTests {
    @Test("lints with no diagnostics against its actions and docs")
    func lintsClean() throws {
        #expect(try lintLines(try workedExample()) == [])
    }

    @Test("loads into the model it describes")
    func loadsIntoModel() throws {
        let runbook = try RunbookLoader.load(yaml: try workedExample(), file: "runbooks/dr-drill.yaml")
        #expect(runbook.apiVersion == "drbook/v1")
        #expect(runbook.kind == "Runbook")
        #expect(runbook.metadata.name == "dr-drill")
        #expect(runbook.metadata.doc?.value == DocLink(path: "dr/alerting.md", anchor: "disaster-recovery-drill"))
        #expect(runbook.params.map(\.name) == ["namespace", "scratchNamespace", "rpo", "mode", "restoreAttempts", "heartbeatURL"])
        #expect(runbook.param(named: "rpo")?.defaultValue?.value == .duration(.seconds(24 * 3600)))
        #expect(runbook.param(named: "heartbeatURL")?.secret == true)
        #expect(runbook.param(named: "heartbeatURL")?.required == true)
        guard case let .parallel(group) = runbook.steps[0] else {
            Issue.record("the first node should be a parallel group")
            return
        }
        #expect(group.maxConcurrency == 2)
        #expect(group.steps.map(\.id.value) == ["store-available", "schedule-covers"])
        #expect(runbook.allSteps.map(\.id.value) == ["store-available", "schedule-covers", "latest-backup", "restore", "look-at-dashboards", "heartbeat"])
        let latest = try #require(runbook.allSteps.first { $0.id.value == "latest-backup" })
        #expect(latest.retry == Step.RetryPolicy(attempts: 3, backoff: .seconds(10)))
        #expect(latest.timeout == .seconds(120))
        let restore = try #require(runbook.allSteps.first { $0.id.value == "restore" })
        #expect(restore.destructive)
        #expect(restore.onFailure == .abort)
        #expect(restore.when != nil)
        let manual = try #require(runbook.allSteps.first { $0.id.value == "look-at-dashboards" })
        #expect(manual.onFailure == .continue)
    }
}
