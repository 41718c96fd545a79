import Testing
@testable import DRBookRunbook

@Suite("Runbook YAML is bounded before a tree is built")
struct YAMLLimitTests {
    @Test("lists nested 150 deep are refused at the 101st level, before Yams recurses into them")
    func deepNesting() {
        let yaml = "apiVersion: drbook/v1\nmetadata: {name: t, title: T}\nsteps: " + String(repeating: "[", count: 150) + String(repeating: "]", count: 150) + "\n"
        let (runbook, diagnostics) = RunbookLoader.read(yaml: yaml, file: "t.yaml")
        #expect(runbook == nil)
        // The root mapping is level 1, so the 100th '[' (column 107) is level 101.
        #expect(diagnostics.map(\.description) == [
            "t.yaml:3:107: error: lists and mappings are nested more than 100 levels deep here (flatten the structure; drbook's files need only a few levels)",
        ])
    }

    @Test("lists nested 5,000 deep stop libyaml's scanner, which says so at the start")
    func veryDeepNesting() {
        let yaml = "apiVersion: drbook/v1\nmetadata: {name: t, title: T}\nsteps: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        let (runbook, diagnostics) = RunbookLoader.read(yaml: yaml, file: "t.yaml")
        #expect(runbook == nil)
        #expect(diagnostics.map(\.description) == [
            "t.yaml:3:9: error: invalid YAML: Maximum nesting level reached, set with yaml_set_max_nest_level()) (while parsing at line 3, column 9)",
        ])
    }

    @Test("a few aliases of small anchors are read as before")
    func smallAliases() {
        let yaml = "apiVersion: drbook/v1\nmetadata: {name: t, title: T}\nsteps:\n  - &w {id: w, title: Wait, uses: wait, with: {duration: 1s}}\n"
        let (runbook, diagnostics) = RunbookLoader.read(yaml: yaml, file: "t.yaml")
        #expect(runbook != nil)
        #expect(!diagnostics.hasErrors)
    }
}
