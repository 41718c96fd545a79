import DRBookActions
import DRBookRunbook
import Foundation
import Testing

@Suite("wait lets a fixed time pass")
struct WaitActionTests {
    @Test("it sleeps the whole duration on the run's clock, in slices, reporting progress to completion")
    func sleepsOnTheClock() async throws {
        let slept = SleepLog()
        let clock = RunClock(now: { Date(timeIntervalSince1970: 0) }, sleep: { slept.add($0) })
        let run = ActionRun()
        let outputs = try await run("wait", ["duration": .duration(.seconds(12)), "reason": .string("monitor period")], clock: clock)
        #expect(slept.total == .seconds(12))
        #expect(slept.count == 3)
        #expect(run.reports.progress.last?.fraction == 1)
        #expect(run.reports.lines == ["waiting 12s: monitor period"])
        #expect(outputs["finishedAt"] == .time(Date(timeIntervalSince1970: 0)))
    }

    @Test("cancelling the step ends the wait at once with CancellationError")
    func cancellable() async throws {
        let run = ActionRun()
        let started = ContinuousClock.now
        let task = Task { try await run("wait", ["duration": .duration(.seconds(900))]) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // Far below the 15 min wait, with room for a machine whose other tests starve this one.
        #expect(ContinuousClock.now - started < .seconds(120))
    }

    @Test("under --dry-run it does not wait")
    func dryRun() async throws {
        let slept = SleepLog()
        let clock = RunClock(now: { Date() }, sleep: { slept.add($0) })
        let run = ActionRun()
        _ = try await run("wait", ["duration": .duration(.seconds(600))], dryRun: true, clock: clock)
        #expect(slept.count == 0)
        #expect(run.reports.lines == ["would wait 10m"])
    }
}

final class SleepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var durations: [Duration] = []

    func add(_ duration: Duration) { lock.withLock { durations.append(duration) } }
    var count: Int { lock.withLock { durations.count } }
    var total: Duration { lock.withLock { durations.reduce(.zero, +) } }
}
