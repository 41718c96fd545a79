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
        let first = hiddenLine(prompt, from: STDIN_FILENO)
        let second = hiddenLine("Again, to confirm: ", from: STDIN_FILENO)
        guard first == second else { throw BadInput("the two entries differ; nothing was written") }
        return first
    }

    /// Whether an operator can be asked: on the terminal that is standard input, or on the
    /// controlling terminal when the value came through a pipe.
    static var canAsk: Bool {
        guard isatty(STDERR_FILENO) != 0 else { return false }
        return isatty(STDIN_FILENO) != 0 || controllingTerminal() != nil
    }

    /// Asks a yes/no question; anything but y or yes is a no.
    static func confirm(_ question: String) -> Bool {
        prompt(question)
        let answer: String
        if isatty(STDIN_FILENO) != 0 {
            answer = line(from: STDIN_FILENO)
        } else if let tty = controllingTerminal() {
            defer { close(tty) }
            answer = line(from: tty)
        } else {
            return false
        }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
    }

    /// One line read from a terminal with echo off; echo is restored whatever happens.
    private static func hiddenLine(_ text: String, from fd: Int32) -> String {
        var saved = termios()
        let isTerminal = tcgetattr(fd, &saved) == 0
        if isTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSAFLUSH, &silent)
        }
        defer {
            if isTerminal { tcsetattr(fd, TCSAFLUSH, &saved) }
            prompt("\n")
        }
        prompt(text)
        return line(from: fd)
    }

    /// Prompts go to standard error, so standard output stays the command's result.
    private static func prompt(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Bytes up to a newline (or the end), read one at a time so nothing after it is consumed.
    private static func line(from fd: Int32) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = readByte(fd, &byte)
            if count < 0, errno == EINTR { continue }
            if count <= 0 || byte == 10 || byte == 13 { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func controllingTerminal() -> Int32? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        return fd >= 0 ? fd : nil
    }
}

/// POSIX read of one byte; named apart from `SecretInput.read(prompt:)`.
private func readByte(_ fd: Int32, _ byte: inout UInt8) -> Int {
    read(fd, &byte, 1)
}
