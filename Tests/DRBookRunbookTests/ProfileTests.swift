import Testing
@testable import DRBookRunbook

private let runbookYAML = """
    apiVersion: drbook/v1
    metadata: {name: drill}
    params:
      namespace: {type: string, default: monitoring}
      attempts: {type: int, default: 1}
      mode: {type: enum, values: [drill, recovery], default: drill}
      heartbeatURL: {type: string, secret: true}
      note: {type: string, required: false}
    steps:
      - {id: say, uses: manual, with: {instructions: go}}
    """

private let profileYAML = """
    environments:
      prod:
        params:
          namespace: monitoring-prod
          attempts: 3
          heartbeatURL: https://hc-ping.com/prod
          unrelated: used by another runbook
      staging:
        params:
          attempts: many
    """

private func runbook() throws -> Runbook { try RunbookLoader.load(yaml: runbookYAML, file: "runbooks/drill.yaml") }
private func profile() throws -> Profile { try Profile.load(yaml: profileYAML, file: "drbook.yaml") }

/// The rendered diagnostics of a resolution expected to fail.
private func resolutionErrors(flags: [String] = [], environment: String? = nil) throws -> [String] {
    let (runbook, profile) = (try runbook(), try profile())
    do {
        _ = try ParamResolver.resolve(runbook, flags: flags, profile: profile, environment: environment)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

@Suite("Params resolve with precedence flag > profile > default")
struct ProfileTests {
    @Test("the default applies when neither profile nor flag sets a param")
    func defaultOnly() throws {
        let resolved = try ParamResolver.resolve(try runbook(), flags: ["heartbeatURL=https://x"])
        #expect(resolved["namespace"] == .string("monitoring"))
        #expect(resolved.sources["namespace"] == .defaultValue)
        #expect(resolved["note"] == .null)
        #expect(resolved.sources["note"] == .unset)
    }

    @Test("the profile's environment beats the default, converted to the param's type")
    func profileBeatsDefault() throws {
        let resolved = try ParamResolver.resolve(try runbook(), profile: try profile(), environment: "prod")
        #expect(resolved["namespace"] == .string("monitoring-prod"))
        #expect(resolved["attempts"] == .int(3))
        #expect(resolved.sources["attempts"] == .profile(environment: "prod"))
        #expect(resolved["mode"] == .string("drill"))
        #expect(resolved.values["unrelated"] == nil)
    }

    @Test("a flag beats the profile; the last repeated flag wins")
    func flagBeatsProfile() throws {
        let resolved = try ParamResolver.resolve(
            try runbook(), flags: ["attempts=5", "namespace=scratch", "namespace=scratch-2", "mode=recovery"],
            profile: try profile(), environment: "prod")
        #expect(resolved["attempts"] == .int(5))
        #expect(resolved.sources["attempts"] == .flag)
        #expect(resolved["namespace"] == .string("scratch-2"))
        #expect(resolved["mode"] == .string("recovery"))
        #expect(resolved["heartbeatURL"] == .string("https://hc-ping.com/prod"))
    }

    @Test("a flag value that does not fit the param's type is refused, with every other problem")
    func badFlagValues() throws {
        #expect(try resolutionErrors(flags: ["attempts=three", "mode=rehearsal", "heartbeatURL"], environment: "prod") == [
            "error: --param heartbeatURL has no value; expected --param heartbeatURL=VALUE",
            "error: --param attempts=three: attempts is an int param, found 'three' (a string); expected an integer such as 3",
            "error: --param mode=rehearsal: mode is a string param, found 'rehearsal' (a string); expected one of: drill, recovery",
        ])
    }

    @Test("a flag for a param the runbook lacks is refused with the params it has")
    func unknownFlag() throws {
        #expect(try resolutionErrors(flags: ["atempts=2"], environment: "prod") == [
            "error: --param atempts: runbook drill has no param 'atempts' (did you mean 'attempts'?); expected one of: namespace, attempts, mode, heartbeatURL, note",
        ])
    }

    @Test("a profile value of the wrong type is reported at its line in drbook.yaml")
    func badProfileValue() throws {
        #expect(try resolutionErrors(flags: ["heartbeatURL=https://x"], environment: "staging") == [
            "drbook.yaml:10:17: error: environments.staging.params.attempts is 'many' (a string); expected an integer such as 3 (attempts is an int param of runbook drill)",
        ])
    }

    @Test("an unknown environment lists the known ones")
    func unknownEnvironment() throws {
        #expect(try resolutionErrors(flags: ["heartbeatURL=https://x"], environment: "production") == [
            "drbook.yaml:1:1: error: drbook.yaml has no environment 'production'; known environments: prod, staging",
        ])
    }

    @Test("a required param left unset names it and both ways to set it")
    func missingRequired() throws {
        #expect(try resolutionErrors(environment: "staging").contains(
            "runbooks/drill.yaml:7:3: error: param 'heartbeatURL' has no value and no default (set it with --param heartbeatURL=VALUE or in drbook.yaml under environments.staging.params.heartbeatURL)"))
        let runbook = try runbook()
        do {
            _ = try ParamResolver.resolve(runbook)
            Issue.record("resolution without heartbeatURL should fail")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "runbooks/drill.yaml:7:3: error: param 'heartbeatURL' has no value and no default (set it with --param heartbeatURL=VALUE or in drbook.yaml under environments.<env>.params.heartbeatURL)",
            ])
        }
    }

    @Test("--env without a profile says a drbook.yaml is needed")
    func environmentWithoutProfile() throws {
        let runbook = try runbook()
        do {
            _ = try ParamResolver.resolve(runbook, flags: ["heartbeatURL=x"], environment: "prod")
            Issue.record("--env without a profile should fail")
        } catch {
            #expect(error.description == "error: --env prod was given but there is no drbook.yaml (create drbook.yaml with environments.prod.params, or drop --env)")
        }
    }

    @Test("a typo in the profile is an error with its position")
    func profileTypo() {
        let yaml = """
            environments:
              prod:
                parms: {namespace: x}
            """
        #expect(throws: RunbookError([.error(
            at: SourceLocation(file: "drbook.yaml", line: 3, column: 5),
            "environments.prod has unknown key 'parms' (did you mean 'params'?); expected one of: description, params")])) {
            try Profile.load(yaml: yaml, file: "drbook.yaml")
        }
    }
}
