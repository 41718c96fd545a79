import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a secret value comes from: a hidden prompt on the terminal, or standard input.
/// Never argv: arguments land in shell history and in `ps` for every user of the machine.
enum SecretInput {
    /// The value from standard input when it is not a terminal (a pipe, a file), else from a
    /// hidden prompt asked twice. One trailing newline is dropped (echo and here-strings add it).
    static func read(prompt: String) throws -> String {
        if isatty(STDIN_FILENO) == 0 {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
            return text
        }
        let first = try hiddenLine(prompt)
        let second = try hiddenLine("Again, to confirm: ")
        guard first == second else { throw BadInput("the two entries differ; nothing was written") }
        return first
    }

    /// Whether an operator can be asked: the terminal is there for both the question and its answer.
    static var canAsk: Bool { isatty(STDERR_FILENO) != 0 && FileManager.default.isReadableFile(atPath: "/dev/tty") }

    /// Asks a yes/no question on the terminal (even when standard input is a pipe).
    static func confirm(_ question: String) -> Bool {
        guard let tty = fopen("/dev/tty", "r+") else { return false }
        defer { fclose(tty) }
        fputs(question, tty)
        fflush(tty)
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), tty) != nil else { return false }
        let answer = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
    }

    /// One line read from the terminal with echo off, echo restored whatever happens.
    private static func hiddenLine(_ prompt: String) throws -> String {
        guard let tty = fopen("/dev/tty", "r+") else { throw BadInput("no terminal to ask for the value; pipe it on standard input instead") }
        defer { fclose(tty) }
        let fd = fileno(tty)
        var saved = termios()
        tcgetattr(fd, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(fd, TCSAFLUSH, &silent)
        defer {
            tcsetattr(fd, TCSAFLUSH, &saved)
            fputs("\n", tty)
        }
        fputs(prompt, tty)
        fflush(tty)
        var bytes: [UInt8] = []
        while true {
            let character = fgetc(tty)
            if character == EOF || character == 10 || character == 13 { break }
            bytes.append(UInt8(truncatingIfNeeded: character))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
