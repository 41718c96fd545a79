import Foundation
import Yams

/// The parts of an Alertmanager configuration drbook judges: each receiver's webhooks and
/// the routing tree's timings. Read from the API's re-serialised `config.original` or from
/// the operator's generated Secret; both are YAML, compared parsed, never as text.
public struct AlertmanagerConfig: Sendable, Equatable {
    public struct Webhook: Sendable, Equatable {
        /// The URL as the config holds it: on Alertmanager 0.26+ the API shows `<secret>`.
        public var url: String?
        /// A file the URL is read from on every notification (0.26+).
        public var urlFile: String?

        /// Whether the API hid the URL (`<secret>`), so it must be read elsewhere.
        public var isMasked: Bool { url == AlertmanagerConfig.maskedSecret }
    }

    public struct Route: Sendable, Equatable {
        public var receiver: String?
        public var groupInterval: PrometheusDuration?
        public var repeatInterval: PrometheusDuration?
        public var routes: [Route]
    }

    /// What Alertmanager's marshaller writes in place of a secret (config.secretToken).
    public static let maskedSecret = "<secret>"
    /// Alertmanager's route defaults (dispatch/route.go DefaultRouteOpts).
    static let defaultGroupInterval = PrometheusDuration(seconds: 300)
    static let defaultRepeatInterval = PrometheusDuration(seconds: 4 * 3_600)

    public var receivers: [String: [Webhook]]
    public var route: Route?

    public init(yaml: String, source: String) throws(AlertPathProblem) {
        let root: Any?
        do {
            root = try Yams.load(yaml: yaml)
        } catch {
            throw AlertPathProblem("the configuration is not YAML: \(error)", subject: source,
                                   fix: "check that \(source) is an Alertmanager configuration")
        }
        guard let top = root as? [String: Any] else {
            throw AlertPathProblem("the configuration is not a YAML mapping", subject: source,
                                   fix: "check that \(source) is an Alertmanager configuration")
        }
        var receivers: [String: [Webhook]] = [:]
        for item in top["receivers"] as? [[String: Any]] ?? [] {
            guard let name = item["name"] as? String else { continue }
            receivers[name] = (item["webhook_configs"] as? [[String: Any]] ?? []).map {
                Webhook(url: $0["url"] as? String, urlFile: $0["url_file"] as? String)
            }
        }
        self.receivers = receivers
        route = (top["route"] as? [String: Any]).map(Self.route)
    }

    private static func route(_ map: [String: Any]) -> Route {
        func duration(_ key: String) -> PrometheusDuration? { (map[key] as? String).flatMap(PrometheusDuration.init) }
        return Route(receiver: map["receiver"] as? String, groupInterval: duration("group_interval"), repeatInterval: duration("repeat_interval"),
                     routes: (map["routes"] as? [[String: Any]] ?? []).map(route))
    }

    /// The timings of the first route (depth first, as Alertmanager matches) that delivers
    /// to `receiver`, each inherited from its parents when unset; nil when no route does.
    public func cadence(toReceiver receiver: String) -> HeartbeatCadence? {
        guard let route else { return nil }
        func search(_ node: Route, _ group: PrometheusDuration, _ repeatInterval: PrometheusDuration, isRoot: Bool) -> HeartbeatCadence? {
            let group = node.groupInterval ?? group, repeatInterval = node.repeatInterval ?? repeatInterval
            for child in node.routes {
                if let found = search(child, group, repeatInterval, isRoot: false) { return found }
            }
            // The root route is the fallback: it delivers only what no child took.
            if node.receiver == receiver && (!isRoot || node.routes.isEmpty) {
                return HeartbeatCadence(groupInterval: group, repeatInterval: repeatInterval)
            }
            return nil
        }
        return search(route, Self.defaultGroupInterval, Self.defaultRepeatInterval, isRoot: true)
            ?? (route.receiver == receiver ? HeartbeatCadence(groupInterval: route.groupInterval ?? Self.defaultGroupInterval,
                                                              repeatInterval: route.repeatInterval ?? Self.defaultRepeatInterval) : nil)
    }
}
