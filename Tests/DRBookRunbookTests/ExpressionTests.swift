import Foundation
import Testing
@testable import DRBookRunbook

private let start = SourceLocation(file: "e", line: 1, column: 1)
private let clock = Date(timeIntervalSince1970: 1_800_000_000)

private let context = ExpressionContext(
    params: ["count": .int(3), "mode": .string("drill"), "rpo": .duration(.seconds(86400)), "quick": .bool(false)],
    env: ["CLUSTER": "prod-eu"],
    stepOutputs: [
        "latest-backup": ["name": .string("daily-full-20260131021700"), "completedAt": .time(clock.addingTimeInterval(-5400))],
        "old": ["completedAt": .string("2027-01-13T00:00:00Z")],
    ],
    now: { clock })

/// Evaluates a runbook string (with its `${{ }}`s) as if it sat at line 1, column 1 of file "e".
private func evaluate(_ text: String) throws(ExpressionError) -> Value {
    try Template.parse(text, at: start).evaluate(with: ExpressionEvaluator(context: context))
}

/// The error an evaluation raises, rendered as `e:line:column: message`.
private func failure(_ text: String) -> String? {
    do {
        _ = try evaluate(text)
        return nil
    } catch {
        return error.description
    }
}

@Suite("Expressions evaluate to typed values")
struct ExpressionEvaluationTests {
    @Test("a string that is exactly one expression has the expression's type")
    func typedResults() throws {
        #expect(try evaluate("${{ params.count }}") == .int(3))
        #expect(try evaluate("${{ params.count + 2 }}") == .int(5))
        #expect(try evaluate("${{ params.mode == 'drill' }}") == .bool(true))
        #expect(try evaluate("${{ 90s }}") == .duration(.seconds(90)))
        #expect(try evaluate("${{ now() }}") == .time(clock))
        #expect(try evaluate("${{ null }}") == .null)
        #expect(try evaluate("plain text") == .string("plain text"))
    }

    @Test("text around expressions makes a string with each value written out")
    func interpolation() throws {
        #expect(try evaluate("backup ${{ steps.latest-backup.outputs.name }} is ${{ age(steps.latest-backup.outputs.completedAt) }} old")
            == .string("backup daily-full-20260131021700 is 1h30m old"))
        #expect(try evaluate("${{ params.count }} attempts") == .string("3 attempts"))
        #expect(try evaluate("at ${{ now() }}") == .string("at 2027-01-15T08:00:00Z"))
    }

    @Test("durations add, subtract and compare; age() measures from the injected clock")
    func durationArithmetic() throws {
        #expect(try evaluate("${{ age(steps.latest-backup.outputs.completedAt) < duration('24h') }}") == .bool(true))
        #expect(try evaluate("${{ age(steps.latest-backup.outputs.completedAt) > params.rpo }}") == .bool(false))
        #expect(try evaluate("${{ 1h + 30m == duration('1h30m') }}") == .bool(true))
        #expect(try evaluate("${{ params.rpo - 1h }}") == .duration(.seconds(23 * 3600)))
        #expect(try evaluate("${{ -5m }}") == .duration(.seconds(-300)))
        // An RFC 3339 string is a time for age(): outputs that come from JSON often are one.
        #expect(try evaluate("${{ age(steps.old.outputs.completedAt) }}") == .duration(.seconds(2 * 86400 + 8 * 3600)))
    }

    @Test("times move by durations, and two times differ by a duration")
    func timeArithmetic() throws {
        #expect(try evaluate("${{ now() - 1h }}") == .time(clock.addingTimeInterval(-3600)))
        #expect(try evaluate("${{ 1h + now() }}") == .time(clock.addingTimeInterval(3600)))
        #expect(try evaluate("${{ now() - steps.latest-backup.outputs.completedAt }}") == .duration(.seconds(5400)))
        #expect(try evaluate("${{ steps.latest-backup.outputs.completedAt < now() }}") == .bool(true))
    }

    @Test("logic, negation, grouping and the string functions")
    func logicAndFunctions() throws {
        #expect(try evaluate("${{ !params.quick && (params.count >= 3 || params.mode != 'drill') }}") == .bool(true))
        #expect(try evaluate("${{ contains(env.CLUSTER, 'prod') }}") == .bool(true))
        #expect(try evaluate("${{ startsWith(steps.latest-backup.outputs.name, 'daily-full-') }}") == .bool(true))
        #expect(try evaluate("${{ env.MISSING == null }}") == .bool(true))
        #expect(try evaluate("${{ 'it''s' }}") == .string("it's"))
        #expect(try evaluate("${{ params.count - 1 }}") == .int(2))
    }

    @Test("&& and || skip their right side when the left decides")
    func shortCircuit() throws {
        #expect(try evaluate("${{ params.quick && steps.never.outputs.x }}") == .bool(false))
        #expect(try evaluate("${{ !params.quick || steps.never.outputs.x }}") == .bool(true))
    }
}

@Suite("Expression errors say what and where")
struct ExpressionErrorTests {
    @Test("type errors point at the operator or argument")
    func typeErrors() {
        #expect(failure("${{ params.count + 'a' }}") == "e:1:18: '+' works on ints, durations, and times with durations; found an int and a string")
        #expect(failure("${{ params.mode < 3 }}") == "e:1:17: '<' compares two ints, two durations or two times; found a string and an int")
        #expect(failure("x ${{ age(params.count) }}") == "e:1:11: argument 1 of age() is an int; expected a string or a time (age(time))")
        #expect(failure("${{ !params.count }}") == "e:1:5: '!' needs a bool; found an int")
    }

    @Test("unknown names and functions and wrong argument counts are errors with positions")
    func unknownNames() {
        #expect(failure("${{ params.nope }}") == "e:1:5: unknown param 'nope'; expected one of: count, mode, quick, rpo")
        #expect(failure("${{ region }}") == "e:1:5: unknown name 'region'; expected params.<name>, env.<NAME> or steps.<id>.outputs.<name>")
        #expect(failure("${{ ago(now()) }}") == "e:1:5: unknown function 'ago'; expected one of: now(), duration(text), age(time), contains(text or list, value), startsWith(text, prefix)")
        #expect(failure("${{ contains('a') }}") == "e:1:5: contains() takes 2 arguments, found 1; expected contains(text or list, value)")
        #expect(failure("${{ steps.later.outputs.name }}") == "e:1:5: step 'later' has no outputs yet; a step can only use outputs of steps that finished before it")
        #expect(failure("${{ duration('1 day') }}") == "e:1:5: duration('1 day') is not a duration; expected e.g. '30s', '5m' or '1h30m'")
    }

    @Test("syntax errors point at the token")
    func syntaxErrors() {
        #expect(failure("${{ params.count == }}") == "e:1:21: found the end of the expression; expected a value, a name such as params.x, or a function call")
        #expect(failure("${{ \"drill\" }}") == "e:1:5: found '\"'; strings in expressions use single quotes, e.g. 'text'")
        #expect(failure("ok ${{ params.count ") == "e:1:4: expression is not closed; expected '}}'")
        #expect(failure("${{ 1 < 2 < 3 }}") == "e:1:11: comparisons cannot be chained; expected '&&' or '||' between them")
        #expect(failure("${{ 5x }}") == "e:1:5: '5x' is neither a number nor a duration; expected e.g. 3, 30s, 5m or 1h30m")
        #expect(failure("${{ (1 + 2 }}") == "e:1:12: found the end of the expression; expected ')' to close the '(' at column 5")
        // The quote swallows the braces, so the whole expression is unclosed.
        #expect(failure("${{ 'open }}") == "e:1:1: expression is not closed; expected '}}'")
    }
}

@Suite("Expressions are type-checked before the run")
struct ExpressionTypeCheckTests {
    private func check(_ text: String) throws -> (ValueType?, [String]) {
        let expression = try #require(try Template.parse(text, at: start).singleExpression)
        var checker = ExpressionTypeChecker { reference in
            switch reference.target {
            case .success(.param("count")): return .success(.int)
            case .success(.param("window")): return .success(.duration)
            case .success(.stepOutput(_, "at")): return .success(.time)
            case .success(.env): return .success(.string)
            case let .failure(problem): return .failure(problem)
            default: return .failure(ReferenceShapeError(message: "unknown"))
            }
        }
        let type = checker.type(of: expression)
        return (type, checker.diagnostics.map(\.description))
    }

    @Test("the static type follows the operators and functions")
    func staticTypes() throws {
        #expect(try check("${{ age(steps.b.outputs.at) < params.window + 1h }}") == (.bool, []))
        #expect(try check("${{ steps.b.outputs.at + params.window }}") == (.time, []))
        #expect(try check("${{ params.count + 1 }}") == (.int, []))
    }

    @Test("every provable misuse is reported, not only the first")
    func allMisuses() throws {
        let (_, problems) = try check("${{ params.count + 1h || duration('soon') == now() }}")
        #expect(problems == [
            "e:1:18: error: '+' works on ints, durations, and times with durations; found an int and a duration",
            "e:1:35: error: duration('soon') is not a duration; expected e.g. '30s', '5m' or '1h30m'",
            "e:1:43: error: '==' compares values of one type; found a duration and a time",
        ])
    }

    @Test("a value known only at run time is not an error")
    func unknownAtRunTime() throws {
        #expect(try check("${{ env.WINDOW == 'x' }}") == (.bool, []))
    }
}
