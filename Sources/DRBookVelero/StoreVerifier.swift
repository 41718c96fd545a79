import DRBookArchive
import Foundation

/// Verifies from the store alone (no cluster) that one namespace can be restored:
/// the newest terminal backup that includes it, its age against the RPO, every PVC
/// in the tarball with a usable PodVolumeBackup, the pods that mount them, the
/// Kopia repository, the expected PVCs, and the store's layout.
public struct StoreVerifier: Sendable {
    public let reader: StoreReader
    /// The platform's name for the variable that sets a store's prefix, for fix texts.
    public var prefixVariable: String?

    public init(store: any BackupStore, prefixVariable: String? = nil) {
        reader = StoreReader(store: store)
        self.prefixVariable = prefixVariable
    }

    public init(reader: StoreReader, prefixVariable: String? = nil) {
        self.reader = reader
        self.prefixVariable = prefixVariable
    }

    private var store: any BackupStore { reader.store }

    /// - Parameters:
    ///   - rpo: the recovery point objective in seconds (`GoDuration.parse("24h")`).
    ///   - expectedPVCs: globs (`prometheus-*`) that must each match a PVC in the backup.
    ///   - allowRemoved: globs of PVCs that may have left the namespace since the previous
    ///     Completed backup; any other PVC that backup held and the chosen one lacks fails.
    ///   - backup: verify this backup (e.g. the one a runbook chose through the API) instead
    ///     of the newest good one; newer backups are then not judged.
    /// - Throws: when the store itself cannot be listed (credentials, bucket, network), or
    ///   `BackupNotFound` when `backup` names none in it.
    public func verify(namespace: String, rpo: TimeInterval, expectedPVCs: [String] = [], allowRemoved: [String] = [],
                       backup name: String? = nil, now: Date = Date()) async throws -> StoreVerdict {
        var verdict = StoreVerdict(store: store.location.description, namespace: namespace, checkedAt: now, rpo: rpo,
                                   backup: nil, volumes: [], tarball: nil, kopia: nil, otherBackups: [], findings: [])
        // The first round: the layout, the parent prefix and the backup folders, listed at once.
        let reader = self.reader
        let parent = store.parent
        async let layoutRead = reader.layout()
        async let parentRead = Self.folders(of: parent)
        async let listingRead = reader.listBackups()
        let layout = try await layoutRead
        if let suggestion = try await reader.prefixSuggestion(layout) {
            // Its "stray folders" are a store's own: advice to move them would move production data.
            verdict.findings.append(.misplacedPrefix(suggestion, display: store.location.description))
            _ = await parentRead
            _ = try? await listingRead
            return verdict
        }
        for folder in layout.strayFolders {
            verdict.findings.append(.strayTopLevelFolder(folder, store: store.location.description, display: store.display(folder + "/")))
        }
        // A store one level up (another environment on the base prefix, or this one after
        // its override was lost) sees this prefix as a folder Velero does not allow.
        if let parent, let folders = await parentRead, folders.contains(VeleroKeys.backupsPrefix) {
            verdict.findings.append(.storeAtParentPrefix(parent: parent.location.description, child: store.location.description,
                                                          display: parent.display(VeleroKeys.backupsPrefix), prefixVariable: prefixVariable))
        }
        let listing = try await listingRead
        for folder in listing.foldersWithoutMetadata {
            verdict.findings.append(.folderWithoutMetadata(folder, display: store.display(VeleroKeys.backupFolder(folder))))
        }
        for (folder, error) in listing.unreadable.sorted(by: { $0.key < $1.key }) {
            verdict.findings.append(.metadataUnreadable(folder, error: error))
        }
        guard let newest = listing.backups.first?.backup else {
            verdict.findings.append(.noBackups(store: store.location.description, display: store.display(VeleroKeys.backupsPrefix)))
            return verdict
        }
        let backups = listing.backups.map(\.backup)
        let selection: BackupSelection
        if let name {
            guard let named = BackupSelection(named: name, among: backups, namespace: namespace) else {
                throw BackupNotFound(name: name, store: store.location.description, nearest: [], total: backups.count)
            }
            selection = named
            if let chosen = named.chosen, let refusal = Self.refusal(of: chosen, namespace: namespace) {
                verdict.backup = summary(of: chosen, now: now, rpo: rpo)
                verdict.findings.append(refusal)
                return verdict
            }
        } else {
            selection = BackupSelection(newestOf: backups, namespace: namespace)
        }
        guard !selection.including.isEmpty else {
            verdict.findings.append(.namespaceNotIncluded(namespace, newest: newest, count: listing.backups.count))
            return verdict
        }
        let chosen = selection.chosen
        // The last round: everything the verdict reads about the chosen backup, the previous
        // Completed one and the passed-over PartiallyFailed ones, requested at once.
        // A backup the person named is judged alone: the newer ones are not reported.
        let passedOver = selection.choice == .named ? [] : selection.passedOver
        async let passedOverErrors = errorsInNamespace(of: passedOver.filter { $0.phase == .partiallyFailed }, namespace: namespace)
        async let contentsRead = readContents(of: chosen, namespace: namespace, comparedWith: selection.previousCompleted)
        let errorsByBackup = await passedOverErrors
        for backup in passedOver {
            if backup.phase == .partiallyFailed {
                verdict.findings.append(.newerPartiallyFailed(backup, namespace: namespace, errorsInNamespace: errorsByBackup[backup.name] ?? nil,
                                                              verified: chosen?.name))
            } else {
                verdict.findings.append(backup.phase.isTerminal ? .newerFailed(backup, verified: chosen?.name)
                                                                : .newerNotTerminal(backup, verified: chosen?.name))
            }
        }
        verdict.otherBackups = selection.including.filter { $0.name != chosen?.name }.map { summary(of: $0, now: now, rpo: rpo) }
        for undated in selection.undated {
            verdict.findings.append(.ageUnknown(undated, object: store.display(VeleroKeys.metadata(undated.name)), verified: false))
        }
        guard let chosen, let contents = await contentsRead else {
            verdict.findings.append(.noRestorableBackup(namespace, count: selection.including.count))
            return verdict
        }
        verdict.backup = summary(of: chosen, now: now, rpo: rpo)
        checkMetadata(chosen, results: contents.results, namespace: namespace, rpo: rpo, now: now,
                      olderCompleted: selection.previousCompleted?.name,
                      newest: selection.passedOver.isEmpty || selection.choice != .named, into: &verdict)
        checkContents(chosen, contents, namespace: namespace, expectedPVCs: expectedPVCs, previous: selection.previousRestorable?.name,
                      comparedWith: selection.previousCompleted, allowRemoved: allowRemoved, into: &verdict)
        return verdict
    }

    /// The same checks on one named backup, newest or not (`drbook backups show NAME --namespace`):
    /// whether its filter includes the namespace, whether its phase can be trusted, its age
    /// against the RPO, and its contents. The store's layout and the other backups are not judged.
    public func verify(backup: Backup, namespace: String, rpo: TimeInterval, expectedPVCs: [String] = [],
                       now: Date = Date()) async -> StoreVerdict {
        var verdict = StoreVerdict(store: store.location.description, namespace: namespace, checkedAt: now, rpo: rpo,
                                   backup: summary(of: backup, now: now, rpo: rpo), volumes: [], tarball: nil, kopia: nil,
                                   otherBackups: [], findings: [])
        if let refusal = Self.refusal(of: backup, namespace: namespace) {
            verdict.findings.append(refusal)
            return verdict
        }
        guard let contents = await readContents(of: backup, namespace: namespace, comparedWith: nil) else { return verdict }
        checkMetadata(backup, results: contents.results, namespace: namespace, rpo: rpo, now: now, olderCompleted: nil, newest: false,
                      into: &verdict)
        checkContents(backup, contents, namespace: namespace, expectedPVCs: expectedPVCs, previous: nil, comparedWith: nil, allowRemoved: [],
                      into: &verdict)
        return verdict
    }

    /// Why a named backup cannot serve the namespace at all, if it cannot: its filter leaves
    /// the namespace out, or its phase cannot be trusted.
    private static func refusal(of backup: Backup, namespace: String) -> Finding? {
        if !backup.includes(namespace: namespace) { return .backupExcludesNamespace(backup, namespace: namespace) }
        if !backup.phase.isRestorable { return .backupNotRestorable(backup) }
        return nil
    }

    // MARK: reads, all at once

    /// What the checks of one backup read from the store, each object's outcome kept for
    /// the check that judges it.
    struct ContentReads: Sendable {
        /// Only for a PartiallyFailed backup.
        var results: Result<BackupResults, any Error>?
        var podVolumeBackups: Result<[PodVolumeBackup], any Error>
        var resourceList: Result<ResourceList, any Error>
        /// nil inside: the tarball does not exist.
        var tarball: Result<TarballIndex?, any Error>
        /// Read whether or not the backup turns out to hold volumes, so it costs no round of its own.
        var kopia: Result<KopiaRepositorySummary, any Error>
        /// The previous Completed backup's, to catch a PVC that vanished since.
        var older: OlderReads?
    }

    /// A previous backup's two small objects that name its PVCs (no tarball pass).
    struct OlderReads: Sendable {
        var resourceList: Result<ResourceList, any Error>
        var podVolumeBackups: Result<[PodVolumeBackup], any Error>
    }

    private func readContents(of backup: Backup?, namespace: String, comparedWith older: Backup?) async -> ContentReads? {
        guard let backup else { return nil }
        let reader = self.reader
        let name = backup.name
        let partiallyFailed = backup.phase == .partiallyFailed
        async let results: Result<BackupResults, any Error>? = partiallyFailed ? await attempt { try await reader.results(of: name) } : nil
        async let podVolumeBackups = attempt { try await reader.podVolumeBackups(of: name) }
        async let resourceList = attempt { try await reader.resourceList(of: name) }
        async let tarball = attempt { try await reader.tarballIndexIfPresent(of: name, namespace: namespace) }
        async let kopia = attempt { try await reader.kopiaRepository(namespace: namespace) }
        async let olderReads = Self.readClaims(of: older, reader: reader)
        return await ContentReads(results: results, podVolumeBackups: podVolumeBackups, resourceList: resourceList, tarball: tarball,
                                  kopia: kopia, older: olderReads)
    }

    private static func readClaims(of backup: Backup?, reader: StoreReader) async -> OlderReads? {
        guard let name = backup?.name else { return nil }
        async let list = attempt { try await reader.resourceList(of: name) }
        async let volumes = attempt { try await reader.podVolumeBackups(of: name) }
        return await OlderReads(resourceList: list, podVolumeBackups: volumes)
    }

    /// The errors each backup's results record in the namespace, read at once; nil for a
    /// backup whose results cannot be read.
    private func errorsInNamespace(of backups: [Backup], namespace: String) async -> [String: [String]?] {
        let reader = self.reader
        return await withTaskGroup(of: (String, [String]?).self) { group in
            for backup in backups {
                group.addTask { (backup.name, try? await reader.results(of: backup.name).errors.messages(for: namespace)) }
            }
            var errors: [String: [String]?] = [:]
            for await (name, messages) in group { errors[name] = messages }
            return errors
        }
    }

    private static func folders(of store: (any BackupStore)?) async -> [String]? {
        guard let store else { return nil }
        return try? await store.commonPrefixes(under: "")
    }

    // MARK: the chosen backup's metadata

    private func checkMetadata(_ backup: Backup, results: Result<BackupResults, any Error>?, namespace: String, rpo: TimeInterval,
                               now: Date, olderCompleted: String?, newest: Bool = true, into verdict: inout StoreVerdict) {
        switch results {
        case .success(let results)?:
            let errors = results.errors.messages(for: namespace)
            verdict.findings.append(errors.isEmpty ? .partiallyFailed(backup, olderCompleted: olderCompleted)
                                                   : .partiallyFailedInNamespace(backup, namespace: namespace, errors: errors, olderCompleted: olderCompleted))
        case .failure(let error)?:
            verdict.findings.append(.partiallyFailed(backup, olderCompleted: olderCompleted))
            verdict.findings.append(.objectUnreadable("results", backup: backup.name, error: error))
        case nil:
            break
        }
        if let expiration = backup.status.expiration, expiration <= now {
            verdict.findings.append(.expired(backup, at: expiration))
        }
        if let taken = backup.takenAt {
            if now.timeIntervalSince(taken) > rpo {
                verdict.findings.append(.stale(backup, age: now.timeIntervalSince(taken), rpo: rpo, newest: newest))
            }
        } else {
            // An age that cannot be known cannot be said to be within the RPO.
            verdict.findings.append(.ageUnknown(backup, object: store.display(VeleroKeys.metadata(backup.name)), verified: true))
        }
        if let version = backup.status.formatVersion, !version.hasPrefix("1.") {
            verdict.findings.append(.formatVersion(version, backup: backup.name, object: store.display(VeleroKeys.metadata(backup.name))))
        }
    }

    // MARK: the chosen backup's contents

    private func checkContents(_ backup: Backup, _ contents: ContentReads, namespace: String, expectedPVCs: [String], previous: String?,
                               comparedWith older: Backup?, allowRemoved: [String], into verdict: inout StoreVerdict) {
        let name = backup.name
        let tarballObject = store.display(VeleroKeys.tarball(name))
        var podVolumeBackups: [PodVolumeBackup] = []
        switch contents.podVolumeBackups {
        case .success(let pvbs): podVolumeBackups = pvbs.filter { $0.podNamespace == namespace }
        case .failure(let error): verdict.findings.append(.objectUnreadable("pod-volume backup list", backup: name, error: error))
        }
        var resourceList = ResourceList()
        switch contents.resourceList {
        case .success(let list): resourceList = list
        case .failure(let error): verdict.findings.append(.objectUnreadable("resource list", backup: name, error: error))
        }

        let index: TarballIndex
        switch contents.tarball {
        case .success(let found?):
            index = found
        case .success(nil):
            verdict.findings.append(.tarballMissing(backup, object: tarballObject))
            return
        case .failure(let error):
            verdict.findings.append(.tarballUnreadable(backup, object: tarballObject, error: error, previous: previous))
            return
        }
        verdict.tarball = index
        if let version = index.formatVersion, !version.hasPrefix("1.") {
            verdict.findings.append(.formatVersion(version, backup: name, object: tarballObject))
        }
        if index.items.isEmpty && !index.namespaceObjectPresent {
            verdict.findings.append(.namespaceNotInTarball(namespace, backup: name, object: tarballObject))
        }

        // PVCs the backup says it has, but the tarball lacks.
        var named: [String: String] = [:]
        for pvc in resourceList.names("v1/PersistentVolumeClaim", in: namespace) { named[pvc] = "the resource list" }
        for pvb in podVolumeBackups { if let pvc = pvb.persistentVolumeClaim { named[pvc] = "a PodVolumeBackup (\(pvb.metadata.name))" } }
        // A pod in the backup that mounts a claim the backup lacks comes back without its
        // data: the claim counts even when nothing else names it.
        for pod in index.pods.values.sorted(by: { $0.name < $1.name }) {
            for claim in Set(pod.claims.values).sorted() where named[claim] == nil { named[claim] = "pod \(pod.name), which mounts it," }
        }
        for (pvc, evidence) in named.sorted(by: { $0.key < $1.key }) where index.persistentVolumeClaims[pvc] == nil {
            verdict.findings.append(.pvcMissingFromTarball(pvc, namespace: namespace, backup: name, evidence: evidence, object: tarballObject))
        }
        if index.persistentVolumeClaims.isEmpty && named.isEmpty && expectedPVCs.isEmpty {
            verdict.findings.append(.noPersistentVolumeClaims(namespace, backup: name, object: tarballObject))
        }

        for pvc in index.persistentVolumeClaims.values.sorted(by: { $0.name < $1.name }) {
            verdict.volumes.append(checkVolume(pvc, index: index, podVolumeBackups: podVolumeBackups, namespace: namespace,
                                               backup: name, findings: &verdict.findings))
        }
        let pvcNames = index.persistentVolumeClaims.keys.sorted()
        for pattern in expectedPVCs where !pvcNames.contains(where: { Glob.matches(pattern, $0) }) {
            verdict.findings.append(.expectedPVCMissing(pattern, namespace: namespace, backup: name, found: pvcNames))
        }
        if let older, let reads = contents.older {
            // Globs name only what must be there; a volume that silently left the backup
            // (one of two Alertmanager replicas, say) still matches them. The previous
            // Completed backup says what was there.
            let held = Set(pvcNames).union(named.keys)
            for pvc in claims(of: older, reads, namespace: namespace, into: &verdict.findings)
            where !held.contains(pvc) && !allowRemoved.contains(where: { Glob.matches($0, pvc) }) {
                verdict.findings.append(.pvcVanished(pvc, namespace: namespace, backup: name, lastHeldBy: older.name))
            }
        }

        if !podVolumeBackups.isEmpty || !index.persistentVolumeClaims.isEmpty {
            switch contents.kopia {
            case .success(let kopia):
                verdict.kopia = kopia
                if !kopia.exists {
                    verdict.findings.append(.kopiaRepositoryMissing(namespace, location: kopia.location))
                } else if !kopia.hasFormatBlob {
                    verdict.findings.append(.kopiaFormatBlobMissing(namespace, location: kopia.location))
                }
            case .failure(let error):
                verdict.findings.append(.objectUnreadable("Kopia repository listing", backup: name, error: error))
            }
        }
    }

    /// The PVCs of the namespace a backup held, from its resource list and its
    /// PodVolumeBackups (no tarball pass: two small objects).
    private func claims(of backup: Backup, _ reads: OlderReads, namespace: String, into findings: inout [Finding]) -> [String] {
        var names = Set<String>()
        switch reads.resourceList {
        case .success(let list): names.formUnion(list.names("v1/PersistentVolumeClaim", in: namespace))
        case .failure(let error): findings.append(.previousBackupUnreadable(backup.name, what: "resource list", error: error))
        }
        switch reads.podVolumeBackups {
        case .success(let pvbs): names.formUnion(pvbs.filter { $0.podNamespace == namespace }.compactMap(\.persistentVolumeClaim))
        case .failure(let error): findings.append(.previousBackupUnreadable(backup.name, what: "pod-volume backup list", error: error))
        }
        return names.sorted()
    }

    /// One PVC: a restorable PodVolumeBackup with data, and the pod that mounts it in the backup.
    private func checkVolume(_ pvc: BackedUpPVC, index: TarballIndex, podVolumeBackups: [PodVolumeBackup], namespace: String,
                             backup: String, findings: inout [Finding]) -> VolumeVerdict {
        let pods = index.pods(mounting: pvc.name)
        let candidates = podVolumeBackups.filter { pvb in
            if let claim = pvb.persistentVolumeClaim { return claim == pvc.name }
            // Without the annotation, fall back to the pod's volume as the tarball holds it.
            return pods.contains { $0.name == pvb.podName && $0.claims[pvb.spec.volume ?? ""] == pvc.name }
        }
        let best = candidates.first { $0.isRestorable && $0.totalBytes > 0 } ?? candidates.first { $0.isRestorable }
            ?? candidates.first { $0.isCompleted } ?? candidates.last
        let before = findings.count
        if let best {
            if !best.isCompleted {
                findings.append(.podVolumeBackupNotCompleted(best, pvc: pvc.name, namespace: namespace, backup: backup))
            } else if best.snapshotID.isEmpty {
                findings.append(.emptySnapshotID(best, pvc: pvc.name, namespace: namespace, backup: backup))
            } else if best.totalBytes == 0 {
                findings.append(.zeroByteVolume(best, pvc: pvc.name, namespace: namespace, backup: backup))
            }
            if let pod = best.podName, index.pods[pod] == nil {
                findings.append(.podNotInBackup(pod, pvc: pvc.name, namespace: namespace, backup: backup))
            }
        } else {
            findings.append(.noPodVolumeBackup(pvc.name, namespace: namespace, backup: backup, pods: pods.map(\.name)))
        }
        if pods.isEmpty && best?.podName.map({ index.pods[$0] == nil }) != true {
            findings.append(.podNotInBackup(nil, pvc: pvc.name, namespace: namespace, backup: backup))
        }
        return VolumeVerdict(persistentVolumeClaim: pvc.name, requestedStorage: pvc.requestedStorage, pods: pods.map(\.name),
                             podVolumeBackup: best?.metadata.name, phase: best?.phase, snapshotID: best?.snapshotID,
                             totalBytes: best?.totalBytes, status: VerdictStatus(Array(findings[before...])))
    }

    // MARK: short verdicts

    func summary(of backup: Backup, now: Date, rpo: TimeInterval) -> BackupSummary {
        let taken = backup.takenAt
        let age = taken.map { now.timeIntervalSince($0) }
        var notes: [String] = []
        var status = VerdictStatus.passed
        let errors = backup.status.errors ?? 0
        switch backup.phase {
        case .completed:
            break
        case .partiallyFailed:
            notes.append("\(errors) error\(errors == 1 ? "" : "s")")
            status = .warning
        case .failed, .failedValidation:
            notes.append(backup.status.failureReason ?? "not restorable")
            status = .failed
        default:
            notes.append("not terminal, not trusted")
            status = .warning
        }
        if let age { notes.append("\(Age.text(age)) old") }
        if let expiration = backup.status.expiration, expiration <= now {
            notes.append("expired")
            if status == .passed { status = .warning }
        }
        return BackupSummary(name: backup.name, phase: backup.phase.description, schedule: backup.schedule, startedAt: backup.startedAt,
                             completedAt: backup.status.completionTimestamp, expiration: backup.status.expiration, age: age,
                             errors: errors, warnings: backup.status.warnings ?? 0, status: status,
                             verdict: "\(backup.phase) (" + notes.joined(separator: ", ") + ")")
    }
}

/// The outcome of a read, kept for the check that judges it.
func attempt<Value: Sendable>(_ body: @Sendable () async throws -> Value) async -> Result<Value, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

