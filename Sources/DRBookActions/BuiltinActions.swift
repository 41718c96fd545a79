import DRBookHTTP
import DRBookKube
import DRBookPlatform
import DRBookRunbook
import DRBookVelero
import Foundation

/// What actions need from the world they run in: clients, the process environment and the platform.
public struct ActionEnvironment: Sendable {
    public var http: HTTPClient
    public var processEnvironment: [String: String]
    /// The cluster, as --kubeconfig / --context / KUBECONFIG or the pod's service account name it.
    public var kube: KubeConnection
    /// The platform's names (SOPS keys, formats, placeholders, namespaces…): drbook.yaml's
    /// `platform:` or the default. Kept as a result so that a bad profile fails only the steps
    /// that read it, with its file:line:column, and not the listing of actions.
    public var platform: Result<PlatformProfile, PlatformProfileError>

    public init(http: HTTPClient = .shared, processEnvironment: [String: String] = ProcessInfo.processInfo.environment,
                kube: KubeConnection? = nil, platform: Result<PlatformProfile, PlatformProfileError>? = nil) {
        self.http = http
        self.processEnvironment = processEnvironment
        self.kube = kube ?? KubeConnection(access: KubeAccess(environment: processEnvironment))
        self.platform = platform ?? Result { () throws(PlatformProfileError) in try PlatformChoice.resolve() }
    }
}

/// Every built-in action: the single source for lint, `drbook show` and docs/actions.md.
public enum BuiltinActions {
    public static func registry(_ environment: ActionEnvironment = ActionEnvironment()) -> ActionRegistry {
        ActionRegistry([
            // generic
            ManualAction(),
            ConfirmAction(),
            ExecAction(environment: environment),
            HTTPProbeAction(environment: environment),
            WaitAction(),
            // Velero
            VeleroVerifyStoreAction(environment: environment),
            VeleroLatestBackupAction(environment: environment),
            VeleroLocationAvailableAction(environment: environment),
            VeleroScheduleCoversAction(environment: environment),
            // Kubernetes
            KubeCanAction(environment: environment),
            KubeSecretMatchesAction(environment: environment),
            // SOPS
            SopsKeysSetAction(environment: environment),
            SopsSetAction(environment: environment),
            // Slack
            SlackProbeWebhookAction(environment: environment),
            // the alert path and the heartbeat
            PrometheusRuleFiringAction(environment: environment),
            AlertmanagerAlertActiveAction(environment: environment),
            AlertmanagerConfigHasReceiverAction(environment: environment),
            AlertmanagerNotificationsHealthyAction(environment: environment),
            AlertmanagerHeartbeatCadenceAction(environment: environment),
            HeartbeatCronJobScheduledAction(environment: environment),
            HealthchecksCheckUpAction(environment: environment),
            HealthchecksWaitForPingAction(environment: environment),
            // the restore: its changes, each with a preflight
            VeleroBackupAction(environment: environment),
            VeleroRestoreAction(environment: environment),
            FluxSuspendAction(environment: environment),
            FluxResumeAction(environment: environment),
            KubeScaleAction(environment: environment),
            KubeDeleteWorkloadsAction(environment: environment),
            KubeDeletePVCsAction(environment: environment),
            KubeDeleteNamespaceAction(environment: environment),
            KubeWaitReadyAction(environment: environment),
            // the proof that the data came back, and the objectives met
            VeleroRestoreProofAction(environment: environment),
            PrometheusDataSinceAction(environment: environment),
            AlertmanagerSilencesPresentAction(environment: environment),
            LokiOldestLineAction(environment: environment),
            RecoveryObjectivesAction(),
        ])
    }

    /// How reports show the typed results these actions record: each in the words of the
    /// command that makes the same judgement.
    public static let resultRenderers: [StepResultRenderer] = [
        StepResultRenderer(kind: VeleroVerifyStoreAction.resultKind) { result in
            guard let verdict = try? result.decode(StoreVerdict.self) else { return nil }
            return StoreVerdictDescription(verdict: verdict, storeArgument: verdict.store).render(next: false)
        },
    ]
}
