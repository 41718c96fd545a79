import Foundation

/// The fields of prometheus-operator's `Prometheus` and `Alertmanager` drbook reads:
/// whether the operator is paused on them and how many replicas they should run.
public struct MonitoringSpec: Codable, Sendable, Equatable {
    public var paused: Bool?
    public var replicas: Int?
}

public struct MonitoringStatus: Codable, Sendable, Equatable {
    public var paused: Bool?
    public var replicas: Int?
    public var availableReplicas: Int?
    public var conditions: [KubeCondition]?
}

/// `monitoring.coreos.com/v1` Prometheus.
public struct Prometheus: KubeObject {
    public static let resource = KubeResource.prometheuses
    public var metadata: ObjectMeta
    public var spec: MonitoringSpec?
    public var status: MonitoringStatus?

    public var isPaused: Bool { spec?.paused ?? false }
    /// The operator defaults an absent count to 1.
    public var desiredReplicas: Int { spec?.replicas ?? 1 }
}

/// `monitoring.coreos.com/v1` Alertmanager.
public struct Alertmanager: KubeObject {
    public static let resource = KubeResource.alertmanagers
    public var metadata: ObjectMeta
    public var spec: MonitoringSpec?
    public var status: MonitoringStatus?

    public var isPaused: Bool { spec?.paused ?? false }
    public var desiredReplicas: Int { spec?.replicas ?? 1 }
}
