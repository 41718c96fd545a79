import DRBookText
import Foundation
import Testing
@testable import DRBookRunbook

private let start = SourceLocation(file: "e", line: 1, column: 1)

/// The error parsing and evaluating `text` raises, as `e:line:column: message`; nil when it succeeds.
private func failure(_ text: String, params: [String: Value] = [:]) -> String? {
    do {
        _ = try Template.parse(text, at: start).evaluate(with: ExpressionEvaluator(context: ExpressionContext(params: params)))
        return nil
    } catch {
        return error.description
    }
}

@Suite("Expressions are bounded: deep or long ones are refused where they are written, arithmetic never wraps")
struct ExpressionLimitTests {
    @Test("5,000 nested parentheses are refused at the first '(' past the limit, not by a stack overflow")
    func nestedParentheses() {
        let text = "${{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}"
        // The 33rd '(' sits at column 4 + 33.
        #expect(failure(text) == "e:1:37: parentheses, calls and '!' or '-' are nested more than 32 levels deep here; expected a flatter expression")
    }

    @Test("32 levels of nesting are still read")
    func nestingAtTheLimit() {
        let text = "${{ " + String(repeating: "(", count: 32) + "1" + String(repeating: ")", count: 32) + " == 1 }}"
        #expect(failure(text) == nil)
    }

    @Test("a chain of prefix operators counts as nesting")
    func prefixChain() {
        let text = "${{ " + String(repeating: "!", count: 40) + "true }}"
        #expect(failure(text) == "e:1:37: parentheses, calls and '!' or '-' are nested more than 32 levels deep here; expected a flatter expression")
    }

    @Test("a flat chain of 5,000 '+' or '&&' terms is refused at the token past the limit", arguments: ["+", "&&"])
    func flatChain(op: String) {
        let term = op == "+" ? "1" : "true"
        let text = "${{ " + Array(repeating: term, count: 5000).joined(separator: " \(op) ") + " }}"
        // Token 257 is term 129 (odd tokens are terms); each term and its separator are written out before it.
        let column = 5 + 128 * (term.count + op.count + 2)
        #expect(failure(text) == "e:1:\(column): the expression is longer than 256 values, names and operators; expected a shorter one (compute parts in earlier steps, or split the condition)")
    }

    @Test("a chain just under the limit is read and evaluated")
    func chainUnderTheLimit() throws {
        let text = "${{ " + Array(repeating: "1", count: 128).joined(separator: " + ") + " }}"
        let value = try Template.parse(text, at: start).evaluate(with: ExpressionEvaluator(context: ExpressionContext()))
        #expect(value == .int(128))
    }

    @Test("adding to a duration past the longest one is an error at the operator")
    func durationOverflow() {
        #expect(failure("${{ params.rpo + 2562047h }}", params: ["rpo": .duration(.seconds(86400))])
            == "e:1:16: 24h + 2562047h is longer than 2562047h, the longest duration drbook takes")
        #expect(failure("${{ params.rpo - 2562047h - 2562047h }}", params: ["rpo": .duration(.zero)])
            == "e:1:27: -2562047h - 2562047h is longer than 2562047h, the longest duration drbook takes")
    }

    @Test("a duration literal beyond the longest one is refused where it is written")
    func durationLiteralTooLong() {
        #expect(failure("${{ params.rpo + 9223372036854775807s }}", params: ["rpo": .duration(.seconds(86400))])
            == "e:1:18: the duration 9223372036854775807s is too long; expected a duration of at most 2562047h (about 292 years, the longest Go and Velero durations)")
        #expect(failure("${{ duration('106752d') }}")
            == "e:1:5: duration('106752d') is too long; expected a duration of at most 2562047h (about 292 years, the longest Go and Velero durations)")
    }

    @Test("int arithmetic that leaves Int's range is an error, not a wrap-around")
    func intOverflow() {
        #expect(failure("${{ 9223372036854775807 + 1 }}")
            == "e:1:25: 9223372036854775807 + 1 is outside the range of ints (-9223372036854775808 to 9223372036854775807)")
        #expect(failure("${{ 0 - 9223372036854775807 - 2 }}")
            == "e:1:29: -9223372036854775807 - 2 is outside the range of ints (-9223372036854775808 to 9223372036854775807)")
        #expect(failure("${{ 99999999999999999999 }}") == "e:1:5: the integer 99999999999999999999 is out of range; expected at most 9223372036854775807")
    }

    @Test("'params.' with no name after it says a param name was expected")
    func paramNameMissing() {
        #expect(failure("${{ params. }}") == "e:1:11: expected a param name after 'params.', e.g. params.region")
        #expect(failure("${{ env. == null }}") == "e:1:8: expected a variable name after 'env.', e.g. env.HOME")
    }
}
