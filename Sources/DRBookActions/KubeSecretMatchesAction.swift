import DRBookDigest
import DRBookKube
import DRBookRunbook
import DRBookSecrets
import Foundation

/// `k8s.secretMatches`: the cluster's Secret holds what git holds — compared by digest.
struct KubeSecretMatchesAction: Action {
    static let descriptor = ActionDescriptor(
        name: "k8s.secretMatches",
        summary: "Check that a Secret in the cluster holds the same values as the SOPS file in git, compared by SHA-256 digest.",
        inputs: [
            InputSpec("file", .string, required: true, description: "The SOPS file in git (relative to drbook's working directory)."),
            InputSpec("keys", .list, required: true, description: "Key paths in the file, e.g. [stringData.KEY]; the Secret's key is the last part."),
            InputSpec("secretNamespace", .string, required: true, description: "The Secret's namespace, e.g. flux-system."),
            InputSpec("secretName", .string, required: true, description: "The Secret the file becomes (Flux decrypts the file into it)."),
            InputSpec("kustomization", .string, description: "The Flux Kustomization that applies the file, e.g. bootstrap: its state is reported and, with `revision`, its last applied revision compared."),
            InputSpec("kustomizationNamespace", .string, description: "Its namespace. Default: secretNamespace."),
            InputSpec("revision", .string, description: "The source revision that carries the change, e.g. main@sha1:… or v1.2.3@sha256:…"),
        ],
        outputs: [OutputSpec("matched", .int, description: "How many keys match.")],
        mutates: false, idempotent: true,
        doc: """
            Decrypts each key of the SOPS file with the real `sops` binary (an age key must be \
            in drbook's environment), reads the Secret through the API, and compares SHA-256 \
            digests — the values are never shown, logged or compared as text outside memory. \
            For each key it says: matching; missing in the cluster; or different, which means \
            git is ahead of the cluster (Flux has not applied the change yet). With \
            `kustomization`, it also reports whether that Kustomization is suspended or not \
            Ready and, with `revision`, whether its last applied revision is that one; the fix \
            says how to make Flux apply it now.
            """)

    let environment: ActionEnvironment

    func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
        let file = try inputs.requiredString("file")
        let paths = try (inputs.strings("keys") ?? []).map { (text: String) throws(ActionError) -> SopsKeyPath in
            guard let path = SopsKeyPath(parsing: text) else {
                throw ActionError("input 'keys' has an unreadable key path '\(text)'", fix: "write key paths like stringData.KEY")
            }
            return path
        }
        let namespace = try inputs.requiredString("secretNamespace")
        let name = try inputs.requiredString("secretName")
        let subject = "secret \(namespace)/\(name)"

        let sops: SopsBinary
        do {
            sops = try SopsBinary.locate(environment: environment.processEnvironment)
        } catch {
            throw ActionError(error.what, subject: error.subject, fix: error.fix)
        }
        let client = try environment.kube.kubeClient()
        let secret: Secret?
        do {
            secret = try await client.getIfPresent(Secret.self, name, namespace: namespace)
        } catch {
            throw ActionError.kube(error, doing: "reading the Secret")
        }
        let kustomizationHint = try await kustomizationState(inputs, client: client, namespace: namespace, context: context)
        guard let secret else {
            throw ActionError("does not exist in the cluster", subject: subject,
                              fix: "Flux has not applied \(file) yet: \(kustomizationHint ?? "check the Kustomization that applies it")")
        }

        var problems: [String] = []
        for path in paths {
            let value: SecretValue
            do {
                value = try await sops.decrypt(file: file, key: path)
            } catch {
                throw ActionError(error.what, subject: error.subject, fix: error.fix)
            }
            context.treatAsSecret(value.revealed)
            let key = path.leafName ?? path.description
            guard let inCluster = secret.value(key) else {
                context.log("[missing] \(subject) has no key \(key)")
                problems.append("\(key) is missing in the cluster")
                continue
            }
            let gitDigest = SHA256Digest.hex(of: value.revealed)
            let clusterDigest = SHA256Digest.hex(of: inCluster)
            if gitDigest == clusterDigest {
                context.log("[matches] \(key): git and \(subject) agree (sha256 \(gitDigest.prefix(12))…)")
            } else {
                context.log("[differs] \(key): git sha256 \(gitDigest.prefix(12))…, cluster sha256 \(clusterDigest.prefix(12))… — git is ahead of the cluster")
                problems.append("\(key) differs (git is ahead of the cluster)")
            }
        }
        guard problems.isEmpty else {
            throw ActionError(problems.joined(separator: "; "), subject: subject,
                              fix: kustomizationHint ?? "let Flux apply the file: `flux reconcile kustomization <name> --with-source`, or annotate the Kustomization with \(FluxReconcile.requestedAtAnnotation)")
        }
        return ["matched": .int(paths.count)]
    }

    /// Logs the Kustomization's state and returns how to make it apply the file, if it is given.
    private func kustomizationState(_ inputs: ActionInputs, client: KubeClient, namespace: String,
                                    context: ActionContext) async throws -> String? {
        guard let name = inputs.string("kustomization") else { return nil }
        let ksNamespace = inputs.string("kustomizationNamespace") ?? namespace
        let kustomization: Kustomization
        do {
            kustomization = try await client.get(Kustomization.self, name, namespace: ksNamespace)
        } catch {
            throw ActionError.kube(error, doing: "reading the Kustomization")
        }
        let subject = "kustomization \(ksNamespace)/\(name)"
        let applied = kustomization.status?.lastAppliedRevision
        context.log("\(subject): \(kustomization.isSuspended ? "suspended" : "active"), Ready=\(kustomization.status?.ready?.status ?? "Unknown"), last applied revision \(applied ?? "none")")
        if kustomization.isSuspended {
            return "\(subject) is suspended: resume it (`flux resume kustomization \(name) -n \(ksNamespace)`)"
        }
        if let revision = inputs.string("revision") {
            if applied == revision {
                context.log("\(subject) has applied revision \(revision)")
            } else {
                context.log("\(subject) has not applied revision \(revision) (it applied \(applied ?? "nothing"))")
                return "\(subject) has not applied \(revision) yet: `flux reconcile kustomization \(name) -n \(ksNamespace) --with-source`"
            }
        }
        if !kustomization.isReady {
            return "\(subject) is not Ready (\(kustomization.status?.ready?.message ?? "no message")): fix what it reports, then reconcile it"
        }
        return "request a reconcile: `flux reconcile kustomization \(name) -n \(ksNamespace)` (or annotate it with \(FluxReconcile.requestedAtAnnotation))"
    }
}
