import Foundation
import Testing
@testable import DRBookRunbook

/// The forms a secret travels in, computed here independently of the redactor.
func encodedForms(of secret: String) throws -> [String] {
    var forms = [secret, Data(secret.utf8).base64EncodedString()]
    forms.append(secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
    forms.append(secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)
    let json = String(data: try JSONEncoder().encode([secret]), encoding: .utf8)!
    forms.append(String(json.dropFirst(2).dropLast(2)))
    let plainEncoder = JSONEncoder()
    plainEncoder.outputFormatting = .withoutEscapingSlashes
    let plain = String(data: try plainEncoder.encode([secret]), encoding: .utf8)!
    forms.append(String(plain.dropFirst(2).dropLast(2)))
    return forms
}

@Suite("Secrets never reach the journal, the observer or an outcome")
struct RedactionTests {
    static let paramSecret = #"tok/EN+"q\uote&=zz"#
    static let envSecret = "https://hc-ping.example/abc-123?key=v&x=y"
    static let outputSecret = "output-secret-Zq9#x/y+w=v"

    static let runbook = runbookYAML("""
          - id: creds
            uses: test.echo
            with:
              text: ${{ env.HC_URL }}
              token: ${{ params.token }}
          - id: use
            uses: test.echo
            with:
              text: "Bearer ${{ steps.creds.outputs.secret }} for ${{ env.HC_URL }}"
              token: ${{ steps.creds.outputs.secret }}
          - id: change
            uses: test.count
            destructive: true
            with:
              file: COUNT
              label: "label with ${{ params.token }}"
              token: ${{ params.token }}
          - id: broken
            uses: test.echo
            onFailure: continue
            with:
              number: ${{ params.token }}
        """, params: """
          token:
            type: string
            secret: true
        """)

    func scan(_ text: String, label: String) throws {
        for secret in [Self.paramSecret, Self.envSecret, Self.outputSecret] {
            for form in try encodedForms(of: secret) {
                #expect(!text.contains(form), "\(label) contains a form of a secret: \(form)")
            }
        }
    }

    @Test("a run with known secrets: no byte of the journal, the observer's events or the outcome holds any secret in any form")
    func fullScan() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.runbook, params: ["token=\(Self.paramSecret)"])
        let prompt = ScriptedPrompt(answers: [true])
        let executor = fixture.executor(prompt: prompt, environment: ["HC_URL": Self.envSecret], secretEnvironmentNames: ["HC_URL"])
        let outcome = try await executor.run(request)
        // The run did use the secrets: they reached the actions in clear.
        #expect(fixture.log.inputs(of: "use").first?.string("token") == Self.outputSecret)
        #expect(fixture.log.inputs(of: "creds").first?.string("token") == Self.paramSecret)
        #expect(fixture.countLines == ["label with \(Self.paramSecret)"])
        #expect(outcome.status(of: "broken") == .failed)

        let journal = try fixture.journalText(outcome)
        #expect(journal.contains("[redacted]"))
        try scan(journal, label: "the journal")
        try scan(fixture.observer.text, label: "the observer's events")
        try scan(prompt.requests.map { $0.touches.joined() + $0.title + $0.explanation }.joined(), label: "the confirmation")
        try scan(String(describing: outcome), label: "the outcome")
        let secretOutput = try fixture.journal(outcome).compactMap { event -> JournalEvent.StepOutput? in
            if case let .stepOutput(output) = event.kind, output.name == "secret" { return output } else { return nil }
        }
        #expect(secretOutput.allSatisfy { $0.secret && $0.value == .string("[redacted]") })
    }

    @Test("a dry run's plan and events hold no secret in any form")
    func dryRunScan() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(Self.runbook, params: ["token=\(Self.paramSecret)"])
        let executor = fixture.executor(dryRun: true, environment: ["HC_URL": Self.envSecret], secretEnvironmentNames: ["HC_URL"])
        let outcome = try await executor.run(request)
        let plan = try #require(outcome.plan)
        #expect(plan.entry("change")?.touches.contains("authenticate with [redacted]") == true)
        try scan(plan.lines.joined(separator: "\n"), label: "the plan")
        try scan(fixture.observer.text, label: "the observer's events")
        try scan(String(describing: outcome), label: "the outcome")
    }
}

@Suite("The redactor")
struct RedactorTests {
    @Test("replaces the value and its base64, percent-encoded and JSON-escaped forms")
    func forms() throws {
        let secret = #"p@ss/w+rd "quoted" é"#
        let redactor = Redactor(secrets: [secret])
        for form in try encodedForms(of: secret) {
            #expect(redactor.redact("before \(form) after") == "before [redacted] after", "form \(form)")
        }
    }

    @Test("finds the value inside a longer base64 text at any alignment")
    func embeddedBase64() {
        let secret = "a-token-of-some-length"
        let redactor = Redactor(secrets: [secret])
        for prefix in ["", "x", "xy", "xyz"] {
            let encoded = Data("user:\(prefix)\(secret):end".utf8).base64EncodedString()
            #expect(redactor.redact(encoded).contains("[redacted]"), "prefix '\(prefix)'")
        }
    }

    @Test("ignores values shorter than four characters, so ordinary text stays readable")
    func shortValues() {
        let redactor = Redactor(secrets: ["on", "abc"])
        #expect(redactor.isEmpty)
        #expect(redactor.redact("abc is on") == "abc is on")
    }

    @Test("values learned later are redacted from then on")
    func learnedLater() {
        let redactor = Redactor()
        #expect(redactor.redact("token=s3cr3t-value") == "token=s3cr3t-value")
        redactor.add("s3cr3t-value")
        #expect(redactor.redact("token=s3cr3t-value") == "token=[redacted]")
        redactor.add(.list([.string("first-secret"), .map(["k": .string("second-secret")])]))
        #expect(redactor.redact("first-secret second-secret") == "[redacted] [redacted]")
    }

    @Test("an action can mark a value it learned as secret")
    func actionLearnsSecret() async throws {
        let fixture = try EngineFixture()
        struct Fetch: Action {
            static let descriptor = ActionDescriptor(name: "test.fetch", summary: "Fetches a token.")
            func run(_ inputs: ActionInputs, _ context: ActionContext) async throws -> ActionOutputs {
                context.treatAsSecret("fetched-token-123")
                context.log("got fetched-token-123")
                return [:]
            }
        }
        let executor = Executor(ExecutorConfiguration(
            registry: ActionRegistry([Fetch()]), store: fixture.store, observer: fixture.observer, environment: [:]))
        let runbook = try RunbookLoader.load(yaml: runbookYAML("  - id: fetch\n    uses: test.fetch\n"), file: "r.yaml")
        let outcome = try await executor.run(RunRequest(runbook: runbook, source: "x"))
        #expect(try fixture.journalText(outcome).contains("got [redacted]"))
        #expect(!fixture.observer.text.contains("fetched-token-123"))
    }

    @Test("a secret param value that does not fit its type is not quoted back in the error")
    func secretFlagInError() async throws {
        let fixture = try EngineFixture()
        let request = try fixture.request(runbookYAML("  - id: a\n    uses: test.echo\n", params: """
              pin:
                type: int
                secret: true
            """), params: ["pin=not-a-number-secret"])
        do {
            _ = try await fixture.executor().run(request)
            Issue.record("expected bad input")
        } catch {
            #expect(error.exitCode == 2)
            #expect(!error.description.contains("not-a-number-secret"))
            #expect(error.description.contains("--param pin=[redacted]"))
        }
    }
}
