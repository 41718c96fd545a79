import Foundation

extension KubeResource {
    public static let cronJobs = KubeResource(group: "batch", version: "v1", resource: "cronjobs", kind: "CronJob", namespaced: true)
}

/// `batch/v1` CronJob: the fields drbook reads to judge a CronJob that pings a heartbeat
/// monitor (schedule, suspension, last run, the command its pods run).
public struct CronJob: KubeObject {
    public static let resource = KubeResource.cronJobs
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var schedule: String
        public var timeZone: String?
        public var suspend: Bool?
        public var startingDeadlineSeconds: Int?
        public var concurrencyPolicy: String?
        public var jobTemplate: JobTemplate
    }

    public struct JobTemplate: Codable, Sendable, Equatable {
        public var spec: JobSpec?
    }

    public struct JobSpec: Codable, Sendable, Equatable {
        public var activeDeadlineSeconds: Int?
        public var backoffLimit: Int?
        public var template: PodTemplate?
    }

    public struct PodTemplate: Codable, Sendable, Equatable {
        public var spec: PodSpec?
    }

    public struct PodSpec: Codable, Sendable, Equatable {
        public var containers: [Container]
    }

    public struct Container: Codable, Sendable, Equatable {
        public var name: String
        public var image: String?
        public var command: [String]?
        public var args: [String]?
        public var env: [EnvVar]?
    }

    /// Only literal values are read: a value from a Secret or ConfigMap is not in the object.
    public struct EnvVar: Codable, Sendable, Equatable {
        public var name: String
        public var value: String?
    }

    /// Not `lastSuccessfulTime`: a heartbeat Job that ends in `|| true` succeeds whether or not its ping arrived.
    public struct Status: Codable, Sendable, Equatable {
        public var lastScheduleTime: Date?
    }

    public var isSuspended: Bool { spec.suspend ?? false }
    public var containers: [Container] { spec.jobTemplate.spec?.template?.spec?.containers ?? [] }
}
