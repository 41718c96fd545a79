import Foundation
import Testing
@testable import DRBookRunbook

// Whether the example lints clean against the real actions and docs is the command-line
// test's to say (FirstHourCLITests: it runs `drbook lint` on this block); the engine's test
// catalog is made up, so a lint here would prove nothing about the doc.
@Suite("The worked example in docs/runbook-format.md")
struct WorkedExampleTests {
    @Test("loads into the model it describes")
    func loadsIntoModel() throws {
        let runbook = try RunbookLoader.load(yaml: try workedExample(), file: "runbooks/backup-drill.yaml")
        #expect(runbook.apiVersion == "drbook/v1")
        #expect(runbook.kind == "Runbook")
        #expect(runbook.metadata.name == "backup-drill")
        #expect(runbook.metadata.doc?.value == DocLink(path: "dr/alerting.md", anchor: "backups"))
        #expect(runbook.params.map(\.name) == ["namespace", "veleroNamespace", "schedule", "store", "rpo", "mode", "lookAttempts", "waitForHeartbeat", "apiKey"])
        #expect(runbook.param(named: "rpo")?.defaultValue?.value == .duration(.seconds(24 * 3600)))
        #expect(runbook.param(named: "namespace")?.platformDefault?.value == ["namespaces", "observability"])
        #expect(runbook.param(named: "apiKey")?.secret == true)
        #expect(runbook.param(named: "apiKey")?.required == false)
        #expect(runbook.param(named: "store")?.required == true)
        guard case let .parallel(group) = runbook.steps[0] else {
            Issue.record("the first node should be a parallel group")
            return
        }
        #expect(group.maxConcurrency == 2)
        #expect(group.steps.map(\.id.value) == ["location", "schedule"])
        #expect(runbook.allSteps.map(\.id.value) == ["location", "schedule", "latest", "volumes", "look", "heartbeat", "note"])
        let latest = try #require(runbook.allSteps.first { $0.id.value == "latest" })
        #expect(latest.retry == Step.RetryPolicy(attempts: 3, backoff: .seconds(10)))
        #expect(latest.timeout == .seconds(120))
        let look = try #require(runbook.allSteps.first { $0.id.value == "look" })
        #expect(look.onFailure == .continue)
        #expect(look.when?.description == "params.mode == 'drill' && age(steps.latest.outputs.completedAt) < params.rpo")
        #expect(runbook.cleanup.map(\.id.value) == ["note"])
    }
}
