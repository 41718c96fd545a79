import Testing
@testable import DRBookRunbook

/// Each malformed runbook yields the diagnostic a person needs: file, line, column, what was found, what was expected.
@Suite("Malformed runbooks are reported with positions")
struct MalformedRunbookTests {
    @Test("bad YAML syntax points at the broken line")
    func badYAMLSyntax() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata:
              name: x
            steps:
              - id: a
                uses: manual
               with: {}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:7:4: error: invalid YAML: did not find expected '-' indicator (while parsing a block collection at line 5, column 3)",
        ])
    }

    @Test("a wrong apiVersion names the supported one")
    func wrongAPIVersion() throws {
        let yaml = """
            apiVersion: drbook/v2
            metadata: {name: x}
            steps:
              - {id: a, uses: manual, with: {instructions: go}}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:1:13: error: apiVersion is 'drbook/v2'; expected drbook/v1, the only version this drbook reads",
        ])
    }

    @Test("a runbook without steps says steps are expected")
    func missingSteps() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata:
              name: x
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:1:1: error: the runbook has no steps; expected a 'steps' list with at least one step",
        ])
    }

    @Test("an unknown top-level key lists the keys a runbook has")
    func unknownTopLevelKey() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            parameters: {}
            steps:
              - {id: a, uses: manual, with: {instructions: go}}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:3:1: error: the runbook has unknown key 'parameters'; expected one of: apiVersion, kind, metadata, params, steps, cleanup",
        ])
    }

    @Test("a mistyped step key is caught, with the key it probably meant")
    func unknownStepKey() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: restore
                uses: manual
                with: {instructions: go}
                onfailure: continue
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:7:5: error: step 'restore' has unknown key 'onfailure' (did you mean 'onFailure'?); expected one of: id, title, doc, uses, with, when, timeout, retry, onFailure, destructive, undoes",
        ])
    }

    @Test("a duplicate step id is reported where it is repeated, even inside a parallel group")
    func duplicateID() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: check
                uses: manual
                with: {instructions: go}
              - parallel:
                  - id: check
                    uses: manual
                    with: {instructions: go}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:8:13: error: duplicate step id 'check'; it is first used at line 4; expected ids unique in the runbook, parallel groups included",
        ])
    }

    @Test("an unknown action suggests the closest one")
    func unknownAction() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: restore
                uses: velero.restor
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:5:11: error: step 'restore' uses unknown action 'velero.restor'; did you mean 'velero.restore'?",
        ])
    }

    @Test("an input the action does not declare lists the ones it does")
    func unknownInput() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: latest
                uses: velero.latestBackup
                with:
                  schedule: daily-full
                  maxage: 24h
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:8:7: error: step 'latest' gives velero.latestBackup unknown input 'maxage' (did you mean 'maxAge'?); expected one of: schedule, maxAge",
        ])
    }

    @Test("a missing required input names the input and its type")
    func missingRequiredInput() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: latest
                uses: velero.latestBackup
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:5:11: error: step 'latest' does not give velero.latestBackup its required input 'schedule' (a string); expected it under with:",
        ])
    }

    @Test("a reference to a step that does not exist points into the expression")
    func referenceToUnknownStep() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: latest
                uses: velero.latestBackup
                with: {schedule: daily-full}
              - id: say
                uses: manual
                with:
                  instructions: "Restore ${{ steps.lastest.outputs.name }} now"
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:10:34: error: 'steps.lastest.outputs.name' refers to unknown step 'lastest' (did you mean 'latest'?); expected the id of an earlier step",
        ])
    }

    @Test("a reference to a later step says it runs later")
    func referenceToLaterStep() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: say
                uses: manual
                with:
                  instructions: ${{ steps.latest.outputs.name }}
              - id: latest
                uses: velero.latestBackup
                with: {schedule: daily-full}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:7:25: error: 'steps.latest.outputs.name': step 'latest' runs later (line 8); a step can only use outputs of steps before it",
        ])
    }

    @Test("a reference to a step in the same parallel group is refused")
    func referenceWithinParallelGroup() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - parallel:
                  - id: latest
                    uses: velero.latestBackup
                    with: {schedule: daily-full}
                  - id: say
                    uses: manual
                    with: {instructions: "${{ steps.latest.outputs.name }}"}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:10:35: error: 'steps.latest.outputs.name': step 'latest' is in the same parallel group as 'say' and runs at the same time; move it before the group",
        ])
    }

    @Test("a reference to an output the action does not declare lists the declared ones")
    func referenceToUndeclaredOutput() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: latest
                uses: velero.latestBackup
                with: {schedule: daily-full}
              - id: say
                uses: manual
                with:
                  instructions: ${{ steps.latest.outputs.backupName }}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:10:25: error: 'steps.latest.outputs.backupName': step 'latest' uses velero.latestBackup, which has no output 'backupName'; expected one of: name, completedAt, itemCount",
        ])
    }

    @Test("a bad duration says what a duration looks like")
    func badDuration() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: latest
                uses: velero.latestBackup
                with: {schedule: daily-full}
                timeout: 5 minutes
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:7:14: error: timeout of step 'latest' is '5 minutes'; expected a duration such as 30s, 5m, 1h30m or 336h",
        ])
    }

    @Test("bad expression syntax points at the offending token")
    func badExpressionSyntax() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            params:
              mode: {type: string, default: drill}
            steps:
              - id: say
                uses: manual
                when: ${{ params.mode = 'drill' }}
                with: {instructions: go}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:8:27: error: found '='; expected '=='",
        ])
    }

    @Test("an unknown function lists the functions there are")
    func unknownFunction() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: say
                uses: manual
                when: ${{ olderThan('24h') }}
                with: {instructions: go}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:6:15: error: unknown function 'olderThan'; expected one of: now(), duration(text), age(time), contains(text or list, value), startsWith(text, prefix)",
        ])
    }

    @Test("a doc anchor that is not a heading suggests the nearest heading")
    func missingDocAnchor() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: say
                doc: dr/alerting.md#heartbeats
                uses: manual
                with: {instructions: go}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:5:10: error: doc of step 'say' links to #heartbeats, which is not a heading in dr/alerting.md (did you mean 'heartbeat'?); expected the GitHub anchor of one of its headings",
        ])
    }

    @Test("a doc link to a missing file says so")
    func missingDocFile() throws {
        let docs = try docsFolder()
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x, doc: dr/restore.md#top}
            steps:
              - {id: say, uses: manual, with: {instructions: go}}
            """
        let lines = RunbookLinter(catalog: testCatalog, docsRoot: docs.path).lint(yaml: yaml, file: "t.yaml").map(\.description)
        #expect(lines == [
            "t.yaml:2:26: error: metadata.doc links to dr/restore.md, which does not exist under \(docs.path); expected a Markdown file path relative to it",
        ])
    }

    @Test("a reference to an undeclared param lists the declared ones")
    func undeclaredParam() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            params:
              namespace: {type: string, default: monitoring}
            steps:
              - id: covers
                uses: velero.scheduleCovers
                with:
                  schedule: daily-full
                  namespace: ${{ params.namespaces }}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:10:22: error: 'params.namespaces' refers to param 'namespaces', which is not declared under params (did you mean 'namespace'?); declared params: namespace",
        ])
    }

    @Test("a literal string given to an int input is a type mismatch")
    func literalTypeMismatch() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: scale
                uses: k8s.scale
                destructive: true
                with:
                  name: alertmanager
                  replicas: two
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:9:17: error: input 'replicas' of step 'scale' is 'two' (a string); expected an integer such as 3",
        ])
    }

    @Test("a param of the wrong type given to an input is a type mismatch")
    func paramTypeMismatch() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            params:
              quick: {type: bool, default: false}
            steps:
              - id: latest
                uses: velero.latestBackup
                with:
                  schedule: daily-full
                  maxAge: ${{ params.quick }}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:10:15: error: input 'maxAge' of step 'latest' is a bool expression; expected a duration",
        ])
    }

    @Test("a when that is not a bool is refused")
    func whenNotBool() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            params:
              window: {type: duration, default: 1h}
            steps:
              - id: say
                uses: manual
                when: ${{ params.window + 5m }}
                with: {instructions: go}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:8:29: error: when of step 'say' is a duration expression; expected a bool, e.g. ${{ params.mode == 'drill' }}",
        ])
    }

    @Test("an int param with a non-int default is refused")
    func intParamWithStringDefault() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            params:
              attempts:
                type: int
                default: three
            steps:
              - {id: say, uses: manual, with: {instructions: go}}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:6:14: error: param 'attempts' of type int has default 'three' (a string); expected an integer such as 3",
        ])
    }

    @Test("an enum default outside its values lists the values")
    func enumDefaultNotInValues() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            params:
              mode:
                type: enum
                values: [drill, recovery]
                default: rehearsal
            steps:
              - {id: say, uses: manual, with: {instructions: go}}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:7:14: error: param 'mode' of type enum has default 'rehearsal' (a string); expected one of: drill, recovery",
        ])
    }

    @Test("a mutating action not marked destructive is an error; a destructive read-only step a warning")
    func destructiveMarking() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: scale
                uses: k8s.scale
                with: {name: alertmanager, replicas: 0}
              - id: say
                uses: manual
                destructive: true
                with: {instructions: go}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:5:11: error: step 'scale' uses k8s.scale, which changes things, but is not marked destructive; expected destructive: true so the operator confirms it",
            "t.yaml:7:5: warning: step 'say' is marked destructive but manual changes nothing; the confirmation it asks for is needless",
        ])
    }

    @Test("one runbook with many mistakes reports all of them, sorted by position")
    func reportsAllErrorsAtOnce() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            params:
              mode: {type: enum, values: [drill, recovery], default: drill}
            steps:
              - id: latest
                uses: velero.latestBackup
                timeout: soon
                with:
                  schedul: daily-full
              - id: restore
                uses: velero.restore
                when: ${{ params.mod == 'drill' }}
                with:
                  backup: ${{ steps.latest.outputs.nam }}
                  namespace: ${{ steps.later.outputs.name }}
              - id: latest
                uses: velero.lattestBackup
                with: {schedule: daily-full}
              - id: later
                uses: manual
                with: {instructions: go}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:7:11: error: step 'latest' does not give velero.latestBackup its required input 'schedule' (a string); expected it under with:",
            "t.yaml:8:14: error: timeout of step 'latest' is 'soon'; expected a duration such as 30s, 5m, 1h30m or 336h",
            "t.yaml:10:7: error: step 'latest' gives velero.latestBackup unknown input 'schedul' (did you mean 'schedule'?); expected one of: schedule, maxAge",
            "t.yaml:12:11: error: step 'restore' uses velero.restore, which changes things, but is not marked destructive; expected destructive: true so the operator confirms it",
            "t.yaml:13:15: error: 'params.mod' refers to param 'mod', which is not declared under params (did you mean 'mode'?); declared params: mode",
            "t.yaml:15:19: error: 'steps.latest.outputs.nam': step 'latest' uses velero.latestBackup, which has no output 'nam' (did you mean 'name'?); expected one of: name, completedAt, itemCount",
            "t.yaml:16:22: error: 'steps.later.outputs.name': step 'later' runs later (line 20); a step can only use outputs of steps before it",
            "t.yaml:17:9: error: duplicate step id 'latest'; it is first used at line 6; expected ids unique in the runbook, parallel groups included",
            "t.yaml:18:11: error: step 'latest' uses unknown action 'velero.lattestBackup'; did you mean 'velero.latestBackup'?",
        ])
    }
}

@Suite("Positions survive YAML quoting and folding")
struct PositionTests {
    @Test("an expression in a folded block scalar is located on its own line, not counted from the scalar's start")
    func blockScalar() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: say
                uses: manual
                with:
                  instructions: >
                    Check the dashboards, then
                    run ${{ steps.gone.outputs.name }} again.
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:9:17: error: 'steps.gone.outputs.name' refers to unknown step 'gone'; expected the id of an earlier step",
        ])
    }

    @Test("an expression after an escape in a double-quoted string is still found in the file")
    func doubleQuotedEscape() throws {
        let yaml = """
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - id: say
                uses: manual
                with: {instructions: "say \\"hi\\" to ${{ params.who }}"}
            """
        let found = try lintLines(yaml)
        #expect(found == [
            "t.yaml:6:45: error: 'params.who' refers to param 'who', which is not declared under params; the runbook declares no params",
        ])
    }
}

@Suite("Linting files")
struct LintFileTests {
    @Test("a runbook file is linted with its path in every diagnostic")
    func lintsAFile() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write("""
            apiVersion: drbook/v1
            metadata: {name: x}
            steps:
              - {id: a, uses: nothing.here}
            """, to: "runbooks/x.yaml")
        let lines = RunbookLinter(catalog: testCatalog, docsRoot: nil).lint(path: path).map(\.description)
        #expect(lines == ["\(path):4:19: error: step 'a' uses unknown action 'nothing.here'; expected an action listed in docs/actions.md"])
    }

    @Test("a missing runbook file is one error naming the path")
    func missingFile() {
        let lines = RunbookLinter(catalog: testCatalog, docsRoot: nil).lint(path: "/nonexistent/x.yaml").map(\.description)
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("error: cannot read runbook /nonexistent/x.yaml: ") == true)
        #expect(throws: RunbookError.self) { try RunbookLoader.load(path: "/nonexistent/x.yaml") }
    }
}
