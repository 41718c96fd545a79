import Foundation
import Testing
@testable import DRBookRunbook

@Suite("Running steps")
struct ExecutorTests {
    @Test("steps run in order and a later step gets an earlier step's outputs")
    func sequentialOrderAndOutputs() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: first
                uses: test.echo
                with:
                  text: hello
                  number: 41
              - id: second
                uses: test.echo
                with:
                  text: "${{ steps.first.outputs.text }} world"
                  number: ${{ steps.first.outputs.number + 1 }}
              - id: third
                uses: test.echo
                with:
                  text: ${{ params.greeting }}
            """, params: """
              greeting:
                type: string
                default: hi
            """))
        let outcome = try await fixture.executor().run(request)
        #expect(outcome.verdict == .passed)
        #expect(outcome.exitCode == 0)
        #expect(fixture.log.steps == ["first", "second", "third"])
        let second = try #require(fixture.log.inputs(of: "second").first)
        #expect(second.string("text") == "hello world")
        #expect(second.int("number") == 42)
        #expect(fixture.log.inputs(of: "third").first?.string("text") == "hi")
        #expect(outcome.steps.map(\.status) == [.passed, .passed, .passed])
    }

    @Test("a step whose when is false is skipped and journaled as skipped")
    func whenFalseSkips() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: probe
                uses: test.echo
                with:
                  number: 1
              - id: only-if-two
                uses: test.echo
                when: ${{ steps.probe.outputs.number == 2 }}
              - id: after
                uses: test.echo
                with:
                  text: ${{ steps.only-if-two.outputs.text }}
            """))
        let outcome = try await fixture.executor().run(request)
        #expect(outcome.verdict == .passed)
        #expect(fixture.log.steps == ["probe", "after"])
        #expect(outcome.status(of: "only-if-two") == .skipped)
        let end = try #require(try fixture.journal(outcome).stepEnd("only-if-two"))
        #expect(end.status == .skipped)
        #expect(end.reason == "its when condition is false")
        // A skipped step's outputs read as null; null becomes the empty string.
        #expect(fixture.log.inputs(of: "after").first?.string("text") == "")
    }

    @Test("a step that runs past its timeout is cancelled and fails 'timed out after …'")
    func timeout() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: slow
                uses: test.sleep
                timeout: 100ms
                with:
                  duration: 300s
              - id: next
                uses: test.echo
            """))
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try await fixture.executor().run(request)
        // Far below the action's 300 s: the run did not wait for it (not a timing benchmark;
        // a loaded machine may take many seconds).
        #expect(clock.now - started < .seconds(120))
        #expect(outcome.verdict == .failed)
        #expect(outcome.exitCode == 1)
        let end = try #require(try fixture.journal(outcome).stepEnd("slow"))
        #expect(end.status == .failed)
        #expect(end.error == "timed out after 100ms")
        #expect(end.fix?.contains("timeout") == true)
        #expect(outcome.status(of: "next") == .aborted)
        #expect(!fixture.log.steps.contains("next"))
    }

    @Test("a failing step is retried with backoff and passes when an attempt succeeds")
    func retryThenSuccess() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: flaky
                uses: test.fail
                retry:
                  attempts: 3
                  backoff: 10ms
                with:
                  times: 2
            """))
        let outcome = try await fixture.executor().run(request)
        #expect(outcome.verdict == .passed)
        #expect(fixture.log.count("flaky") == 3)
        let events = try fixture.journal(outcome)
        #expect(events.stepEnd("flaky")?.attempts == 3)
        let logs = events.compactMap { if case let .stepLog(log) = $0.kind { return log.line } else { return nil } }
        #expect(logs.contains("attempt 1 of 3 failed: test object: planned failure 1; retrying in 10ms"))
        #expect(events.types.filter { $0 == "step-start" }.count == 1)
    }

    @Test("retries run out: the step fails with the last error and its fix")
    func retriesExhausted() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: flaky
                uses: test.fail
                retry:
                  attempts: 2
                  backoff: 0
                with:
                  times: 5
            """))
        let outcome = try await fixture.executor().run(request)
        #expect(outcome.verdict == .failed)
        #expect(fixture.log.count("flaky") == 2)
        let end = try #require(try fixture.journal(outcome).stepEnd("flaky"))
        #expect(end.error == "test object: planned failure 2")
        #expect(end.fix == "wait for attempt 3")
    }

    @Test("onFailure continue records the failure and runs the rest; the run still fails")
    func onFailureContinue() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: broken
                uses: test.fail
                onFailure: continue
                with:
                  times: 1
              - id: after
                uses: test.echo
            """))
        let outcome = try await fixture.executor().run(request)
        #expect(fixture.log.steps == ["broken", "after"])
        #expect(outcome.status(of: "broken") == .failed)
        #expect(outcome.status(of: "after") == .passed)
        #expect(outcome.verdict == .failed)
        #expect(outcome.exitCode == 1)
    }

    @Test("onFailure abort (the default) stops the run and marks the rest aborted")
    func onFailureAbort() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: broken
                uses: test.fail
                with:
                  times: 1
              - id: after
                uses: test.echo
              - id: last
                uses: test.echo
            """))
        let outcome = try await fixture.executor().run(request)
        #expect(fixture.log.steps == ["broken"])
        #expect(outcome.steps.map(\.status) == [.failed, .aborted, .aborted])
        let events = try fixture.journal(outcome)
        #expect(events.stepEnd("after")?.reason?.contains("step 'broken' failed") == true)
        #expect(events.runEnd?.verdict == .failed)
        #expect(events.runEnd?.exitCode == 1)
    }

    @Test("a parallel group runs its steps concurrently, no more than maxConcurrency at once")
    func parallelBounded() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - title: Checks
                maxConcurrency: 2
                parallel:
                  - id: a
                    uses: test.sleep
                    with:
                      duration: 300ms
                  - id: b
                    uses: test.sleep
                    with:
                      duration: 300ms
                  - id: c
                    uses: test.sleep
                    with:
                      duration: 300ms
                  - id: d
                    uses: test.sleep
                    with:
                      duration: 300ms
              - id: after
                uses: test.echo
            """))
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try await fixture.executor().run(request)
        let elapsed = clock.now - started
        #expect(outcome.verdict == .passed)
        #expect(fixture.gauge.peak == 2)
        // At most two at a time means at least two rounds.
        #expect(elapsed >= .milliseconds(600))
        #expect(fixture.log.steps.last == "after")
    }

    @Test("a failure in a parallel group lets the running steps finish, starts no more, and aborts the run")
    func parallelFailure() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - maxConcurrency: 2
                parallel:
                  - id: fails
                    uses: test.sleep
                    with:
                      duration: 10ms
                      fail: true
                  - id: runs-on
                    uses: test.sleep
                    with:
                      duration: 200ms
                  - id: never-started
                    uses: test.sleep
                    with:
                      duration: 10ms
              - id: after
                uses: test.echo
            """))
        let outcome = try await fixture.executor().run(request)
        #expect(outcome.verdict == .failed)
        #expect(outcome.status(of: "fails") == .failed)
        #expect(outcome.status(of: "runs-on") == .passed)
        #expect(outcome.status(of: "never-started") == .aborted)
        #expect(outcome.status(of: "after") == .aborted)
        #expect(Set(fixture.log.steps) == ["fails", "runs-on"])
    }

    @Test("a failure with onFailure continue in a parallel group does not stop the group")
    func parallelContinue() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - maxConcurrency: 1
                parallel:
                  - id: fails
                    uses: test.sleep
                    onFailure: continue
                    with:
                      duration: 10ms
                      fail: true
                  - id: second
                    uses: test.sleep
                    with:
                      duration: 10ms
            """))
        let outcome = try await fixture.executor().run(request)
        #expect(outcome.status(of: "second") == .passed)
        #expect(outcome.verdict == .failed)
    }

    @Test("an input that does not evaluate fails the step with its position")
    func inputEvaluationFailure() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: first
                uses: test.echo
                with:
                  number: ${{ params.count }}
            """, params: """
              count:
                type: string
                default: lots
            """))
        let outcome = try await fixture.executor().run(request)
        #expect(outcome.verdict == .failed)
        let end = try #require(try fixture.journal(outcome).stepEnd("first"))
        #expect(end.error?.contains("runbook.yaml:14:15:") == true)
        #expect(end.error?.contains("input 'number' of step 'first' is 'lots' (a string); expected an integer such as 3") == true)
        #expect(fixture.log.steps.isEmpty)
    }

    @Test("params that do not resolve stop the run before it starts (exit 2) and write no journal")
    func badParams() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: first
                uses: test.echo
            """, params: """
              needed:
                type: string
            """))
        await #expect(throws: ExecutorError.self) { try await fixture.executor().run(request) }
        do {
            _ = try await fixture.executor().run(request)
        } catch {
            #expect(error.exitCode == 2)
        }
        #expect(fixture.store.runs().isEmpty)
    }

    @Test("progress is sampled to one event a second per step plus the last; metrics are journaled")
    func progressSampling() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("""
              - id: copy
                uses: test.progress
            """))
        let outcome = try await fixture.executor().run(request)
        let events = try fixture.journal(outcome)
        let progress = events.compactMap { if case let .stepProgress(p) = $0.kind { return p.progress } else { return nil } }
        #expect(progress.count == 2)
        #expect(progress.first == .bytes(1, of: 200))
        #expect(progress.last == .bytes(200, of: 200))
        let metric = events.compactMap { if case let .stepMetric(m) = $0.kind { return m.metric } else { return nil } }
        #expect(metric == [ActionMetric(name: "rto_seconds", value: 12.5, unit: "s", target: 14400)])
        // The final progress comes before the step's end.
        let lastProgress = try #require(events.lastIndex { $0.kind.type == "step-progress" })
        let end = try #require(events.firstIndex { $0.kind.type == "step-end" })
        #expect(lastProgress < end)
    }

    @Test("an action that ignores cancellation cannot hold the run past its timeout and grace period")
    func stubbornAction() async throws {
        struct Stubborn: Action {
            static let descriptor = ActionDescriptor(name: "test.stubborn", summary: "Ignores cancellation.")
            func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 900) { continuation.resume() }
                }
                context.log("too late")
                return [:]
            }
        }
        let fixture = try EngineFixture()
        let executor = Executor(ExecutorConfiguration(
            registry: ActionRegistry([Stubborn()]), store: fixture.store, observer: fixture.observer,
            environment: [:], cancellationGrace: .milliseconds(200)))
        let runbook = try RunbookLoader.load(yaml: runbookYAML("  - id: stuck\n    uses: test.stubborn\n    timeout: 50ms\n"), file: "r.yaml")
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try await executor.run(RunRequest(runbook: runbook, source: "x"))
        // Far below the action's 15 min: the run moved on after the grace period (with room
        // for a machine whose other tests starve this one).
        #expect(clock.now - started < .seconds(120))
        #expect(outcome.verdict == .failed)
        let events = try fixture.journal(outcome)
        #expect(events.stepEnd("stuck")?.error == "timed out after 50ms")
        let logs = events.compactMap { if case let .stepLog(log) = $0.kind { return log.line } else { return nil } }
        #expect(logs == ["test.stubborn did not stop within 200ms of being cancelled; it may still be running"])
    }
}
