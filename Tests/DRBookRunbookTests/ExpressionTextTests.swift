@testable import DRBookRunbook
import Testing

@Suite("expressions written back for drbook show")
struct ExpressionTextTests {
    private func parsed(_ text: String) throws -> Expression {
        try ExpressionParser.parse(text, at: SourceLocation(file: "t.yaml", line: 1, column: 1))
    }

    /// Locations differ between the two parses; the written form is what must agree.
    @Test("each expression is written with only the parentheses it needs, and reads back the same", arguments: [
        ("params.mode == 'drill' && params.window > 1h", "params.mode == 'drill' && params.window > 1h"),
        ("(params.a || params.b) && !params.c", "(params.a || params.b) && !params.c"),
        ("params.a || params.b && params.c", "params.a || params.b && params.c"),
        ("params.x - (params.y - 1)", "params.x - (params.y - 1)"),
        ("(params.x - params.y) - 1", "params.x - params.y - 1"),
        ("!(params.a == 'it''s')", "!(params.a == 'it''s')"),
        ("age(steps.b.outputs.completedAt) < params.rpo + 1h", "age(steps.b.outputs.completedAt) < params.rpo + 1h"),
        ("-(params.n + 1) == -2", "-(params.n + 1) == -2"),
    ])
    func written(_ source: String, _ expected: String) throws {
        let expression = try parsed(source)
        #expect(expression.description == expected)
        #expect(try parsed(expression.description).description == expected)
    }
}
