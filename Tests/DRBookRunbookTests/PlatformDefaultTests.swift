import Foundation
import Testing
@testable import DRBookRunbook

/// A param's default may come from the platform profile (`${{ platform.… }}`), so one
/// runbook serves every platform layout; flags and drbook.yaml still win.
@Suite("Param defaults from the platform profile")
struct PlatformDefaultTests {
    static let yaml = """
        apiVersion: drbook/v1
        kind: Runbook
        metadata: {name: platform-defaults, title: Platform defaults}
        params:
          namespace:
            type: string
            default: ${{ platform.namespaces.observability }}
          grace:
            type: duration
            default: ${{ platform.heartbeat.grace }}
        steps:
          - id: look
            title: Look
            uses: manual
            with: {instructions: "look at ${{ params.namespace }}"}
        """

    static let documentLayout: Value = .map(["namespaces": .map(["observability": .string("monitoring")]),
                                             "heartbeat": .map(["grace": .string("10m")])])
    static let headLayout: Value = .map(["namespaces": .map(["observability": .string("observability")]),
                                         "heartbeat": .map(["grace": .string("15m")])])

    @Test("the default is read from the platform the run serves, converted to the param's type; --param still wins")
    func resolvedFromPlatform() throws {
        let runbook = try RunbookLoader.load(yaml: Self.yaml, file: "p.yaml")
        #expect(runbook.param(named: "namespace")?.required == false)
        let document = try ParamResolver.resolve(runbook, platform: Self.documentLayout)
        #expect(document["namespace"] == .string("monitoring"))
        #expect(document["grace"] == .duration(.seconds(600)))
        #expect(document.sources["namespace"] == .defaultValue)
        let head = try ParamResolver.resolve(runbook, platform: Self.headLayout)
        #expect(head["namespace"] == .string("observability"))
        let flag = try ParamResolver.resolve(runbook, flags: ["namespace=scratch"], platform: Self.headLayout)
        #expect(flag["namespace"] == .string("scratch"))
    }

    @Test("a platform that lacks the value is bad input at the default's position, naming what the profile has")
    func missingValue() throws {
        let runbook = try RunbookLoader.load(yaml: Self.yaml, file: "p.yaml")
        let error = #expect(throws: RunbookError.self) {
            try ParamResolver.resolve(runbook, platform: .map(["namespaces": .map(["velero": .string("velero")]), "heartbeat": .map(["grace": .string("10m")])]))
        }
        let diagnostic = try #require(error?.diagnostics.first)
        #expect(diagnostic.location == SourceLocation(file: "p.yaml", line: 7, column: 14))
        #expect(diagnostic.message == "the default of param 'namespace', ${{ platform.namespaces.observability }}: the platform profile has no 'observability' under platform.namespaces; it has: velero")
        #expect(diagnostic.fix?.contains("--param namespace=VALUE") == true)
    }

    @Test("lint checks every platform default against every profile the runbook must serve")
    func linted() {
        let linter = RunbookLinter(catalog: testCatalog, docsRoot: nil, platforms: [("default", Self.documentLayout), ("broken", .map(["namespaces": .map([:])]))])
        let diagnostics = linter.lint(yaml: Self.yaml, file: "p.yaml")
        #expect(diagnostics.map(\.message) == [
            "the default of param 'namespace' does not fit platform profile 'broken': the platform profile has no 'observability' under platform.namespaces; it has: ",
            "the default of param 'grace' does not fit platform profile 'broken': the platform profile has no 'heartbeat' under platform; it has: namespaces",
        ])
        let malformed = RunbookLinter(catalog: testCatalog, docsRoot: nil)
            .lint(yaml: Self.yaml.replacingOccurrences(of: "platform.heartbeat.grace", with: "platform..grace"), file: "p.yaml")
        #expect(malformed.contains { $0.message.contains("names no value of the platform profile") })
    }
}
