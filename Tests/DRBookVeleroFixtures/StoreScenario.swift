import Foundation

/// What the generator writes: a schedule's series of backups of a cluster, with one
/// namespace's StatefulSets on persistent volumes backed up by Kopia, and faults.
public struct StoreScenario: Sendable {
    /// A StatefulSet with one PVC per replica from a volumeClaimTemplate.
    public struct Workload: Sendable, Hashable {
        public var statefulSet: String
        /// The volumeClaimTemplate's name, which is also the pod's volume name.
        public var claimTemplate: String
        public var replicas: Int
        /// `spec.resources.requests.storage`, e.g. `20Gi`.
        public var storage: String
        /// Bytes the PodVolumeBackup reports (`status.progress.totalBytes`).
        public var usedBytes: Int64

        public init(statefulSet: String, claimTemplate: String, replicas: Int = 1, storage: String, usedBytes: Int64) {
            self.statefulSet = statefulSet
            self.claimTemplate = claimTemplate
            self.replicas = replicas
            self.storage = storage
            self.usedBytes = usedBytes
        }

        public func pod(_ replica: Int) -> String { "\(statefulSet)-\(replica)" }
        /// The StatefulSet controller's naming: `<template>-<statefulset>-<ordinal>`.
        public func pvc(_ replica: Int) -> String { "\(claimTemplate)-\(statefulSet)-\(replica)" }
        /// A glob matching every PVC of the workload.
        public var pvcGlob: String { "\(claimTemplate)-\(statefulSet)-*" }
    }

    /// The time the scenario is written for; backups are placed before it.
    public var now: Date
    public var namespace: String
    public var workloads: [Workload]
    /// Namespaces with only filler resources.
    public var otherNamespaces: [String]
    /// Filler ConfigMaps per namespace (scale the tarball).
    public var resourcesPerNamespace: Int
    /// Bytes of data in each filler ConfigMap.
    public var fillerBytes: Int
    public var schedule: String
    public var backupCount: Int
    /// Seconds between backups of the series.
    public var interval: TimeInterval
    /// How long before `now` the newest backup started.
    public var newestAge: TimeInterval
    /// How long a backup runs.
    public var duration: TimeInterval
    public var ttl: TimeInterval
    public var includedNamespaces: [String]
    public var excludedNamespaces: [String]
    public var storageLocation: String
    public var veleroNamespace: String
    /// Pack blobs in each namespace's Kopia repository (beside its format and index blobs).
    public var kopiaPackCount: Int
    /// Older backups of which only `velero-backup.json` is written (listing at scale).
    public var metadataOnlyBackups: Int
    public var compressionLevel: Int
    public var seed: UInt64
    public var faults: [GeneratorFault]

    public init(now: Date, namespace: String, workloads: [Workload], otherNamespaces: [String] = ["flux-system", "cert-manager"],
                resourcesPerNamespace: Int = 5, fillerBytes: Int = 256, schedule: String, backupCount: Int = 3,
                interval: TimeInterval = 86_400, newestAge: TimeInterval = 4 * 3_600, duration: TimeInterval = 420,
                ttl: TimeInterval = 336 * 3_600, includedNamespaces: [String] = ["*"], excludedNamespaces: [String] = ["kube-system", "velero"],
                storageLocation: String = "default", veleroNamespace: String = "velero", kopiaPackCount: Int = 4,
                metadataOnlyBackups: Int = 0, compressionLevel: Int = 6, seed: UInt64 = 1, faults: [GeneratorFault] = []) {
        self.now = now
        self.namespace = namespace
        self.workloads = workloads
        self.otherNamespaces = otherNamespaces
        self.resourcesPerNamespace = resourcesPerNamespace
        self.fillerBytes = fillerBytes
        self.schedule = schedule
        self.backupCount = backupCount
        self.interval = interval
        self.newestAge = newestAge
        self.duration = duration
        self.ttl = ttl
        self.includedNamespaces = includedNamespaces
        self.excludedNamespaces = excludedNamespaces
        self.storageLocation = storageLocation
        self.veleroNamespace = veleroNamespace
        self.kopiaPackCount = kopiaPackCount
        self.metadataOnlyBackups = metadataOnlyBackups
        self.compressionLevel = compressionLevel
        self.seed = seed
        self.faults = faults
    }

    /// The platform of design.md: kube-prometheus-stack and Loki in `monitoring`,
    /// Prometheus 20Gi, Alertmanager 2 × 2Gi, Loki 10Gi, schedule `daily-full` at
    /// 02:17, all namespaces but kube-system and velero, TTL 336h.
    public static func platform(now: Date) -> StoreScenario {
        StoreScenario(now: now, namespace: "monitoring", workloads: [
            Workload(statefulSet: "prometheus-kube-prometheus-stack-prometheus", claimTemplate: "prometheus-kube-prometheus-stack-prometheus-db",
                     storage: "20Gi", usedBytes: 3_221_225_472),
            Workload(statefulSet: "alertmanager-kube-prometheus-stack-alertmanager", claimTemplate: "alertmanager-kube-prometheus-stack-alertmanager-db",
                     replicas: 2, storage: "2Gi", usedBytes: 1_048_576),
            Workload(statefulSet: "loki", claimTemplate: "storage", storage: "10Gi", usedBytes: 1_610_612_736),
        ], schedule: "daily-full")
    }

    /// Every PVC of the namespace, in workload order.
    public var pvcNames: [String] { workloads.flatMap { workload in (0..<workload.replicas).map(workload.pvc) } }
    /// One glob per workload, for `expectedPVCs`.
    public var pvcGlobs: [String] { workloads.map(\.pvcGlob) }
}
