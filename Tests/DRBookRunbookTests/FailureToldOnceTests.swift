import Foundation
import Testing
@testable import DRBookRunbook

/// The failed step tells its reason and fix once; the steps that then did not run say only
/// why, in a few words, so the one Fix line stands out.
@Suite("A failed step is told once")
struct FailureToldOnceTests {
    @Test("later steps say 'not run: step X failed', in a parallel group too; the failed step keeps its whole reason")
    func laterStepsSayNotRun() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: broken
                uses: test.fail
                with:
                  times: 9
              - id: after
                uses: test.echo
              - parallel:
                  - id: left
                    uses: test.echo
                  - id: right
                    uses: test.echo
            """))
        let outcome = try await fixture.executor(assumeYes: true).run(request)
        #expect(outcome.verdict == .failed)
        let events = try fixture.journal(outcome)
        #expect(events.stepEnd("broken")?.error == "test object: planned failure 1")
        for id in ["after", "left", "right"] {
            #expect(events.stepEnd(id)?.status == .aborted)
            #expect(events.stepEnd(id)?.reason == "not run: step 'broken' failed")
        }
        #expect(outcome.message == "step 'broken' failed: test object: planned failure 1; later steps were not run")
    }
}
