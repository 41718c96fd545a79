import DRBookVelero
import Foundation

/// What the generator wrote, for tests to assert against.
public struct GeneratedStore: Sendable {
    /// The series' backups, newest first (without the non-terminal or metadata-only ones).
    public var backups: [String]
    /// The non-terminal backup newer than the series, when that fault is set.
    public var nonTerminalBackup: String?
    public var metadataOnlyBackups: [String]
    public var pvcs: [String]
    public var newest: String { backups[0] }
    /// Snapshot ids of the newest backup's PodVolumeBackups by PVC ("" when the fault empties one).
    public var snapshotIDs: [String: String]
    public var objectCount: Int
}

/// Writes Velero-format backup stores (reference/velero.md §1–3) for tests and
/// benchmarks: a schedule's series of backups, each written by `VeleroBackupWriter`,
/// with injectable faults.
public struct VeleroStoreGenerator: Sendable {
    public var scenario: StoreScenario
    /// Parallel uploads to the target.
    public var concurrency = 8

    public init(scenario: StoreScenario) { self.scenario = scenario }

    public func write(to store: some WritableBackupStore) async throws -> GeneratedStore {
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("drbook-generator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workspace) }

        var random = SplitMix64(seed: scenario.seed)
        var plan = VeleroObjectPlan(scenario: scenario, workspace: workspace.path)
        let newestStart = scenario.now.addingTimeInterval(-(scenario.faults.staleAge ?? scenario.newestAge))
        var names: [String] = []
        var snapshotIDs: [String: String] = [:]
        for index in 0..<scenario.backupCount {
            let start = newestStart.addingTimeInterval(-Double(index) * scenario.interval)
            let faults = index == 0 ? scenario.faults : []
            let written = try plan.addBackup(start: start, faults: faults, random: &random)
            names.append(written.name)
            if index == 0 { snapshotIDs = written.snapshotIDs }
        }
        var nonTerminal: String?
        if let phase = scenario.faults.nonTerminalPhase {
            // Started after the newest complete backup and before `now`.
            let start = newestStart.addingTimeInterval(min(scenario.interval, scenario.faults.staleAge ?? scenario.newestAge) / 2)
            nonTerminal = try plan.addMetadataOnlyBackup(start: start, phase: phase, random: &random)
        }
        var olderNames: [String] = []
        for index in 0..<scenario.metadataOnlyBackups {
            let start = newestStart.addingTimeInterval(-Double(scenario.backupCount + index) * scenario.interval)
            olderNames.append(try plan.addMetadataOnlyBackup(start: start, phase: .completed, random: &random))
        }
        if !scenario.faults.contains(.missingKopiaPrefix) {
            plan.addKopiaRepository(namespace: scenario.namespace, random: &random)
        }
        for folder in scenario.faults.strayFolders {
            plan.add("\(folder)/README", Data("not Velero's\n".utf8))
        }
        try await upload(plan.objects, to: store)
        return GeneratedStore(backups: names, nonTerminalBackup: nonTerminal, metadataOnlyBackups: olderNames, pvcs: scenario.pvcNames,
                              snapshotIDs: snapshotIDs, objectCount: plan.objects.count)
    }

    private func upload(_ objects: [StoreUpload], to store: some WritableBackupStore) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func addNext() {
                let object = objects[next]
                next += 1
                group.addTask { try await store.write(object) }
            }
            for _ in 0..<min(concurrency, objects.count) { addNext() }
            while try await group.next() != nil {
                if next < objects.count { addNext() }
            }
        }
    }
}

/// A small deterministic generator, so a scenario always yields the same store (and a
/// benchmark the same data).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func hex(_ count: Int) -> String {
        var text = ""
        while text.count < count { text += String(next(), radix: 16) }
        return String(text.prefix(count))
    }
    mutating func uid() -> String { "\(hex(8))-\(hex(4))-4\(hex(3))-a\(hex(3))-\(hex(12))" }
    mutating func bytes(_ count: Int) -> Data { Data((0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }) }
}
