import CCurl
import Foundation

/// One thread driving one libcurl multi handle. All transfers of a client run here,
/// so connections (and TLS sessions, DNS answers) are pooled and reused across
/// requests, and `curl_easy_perform`'s blocking never reaches Swift's cooperative pool.
/// Other threads only enqueue commands and wake the thread.
final class CurlLoop: @unchecked Sendable {
    private enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case unpause(CurlTransfer)
    }

    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var commands: [Command] = []
    private var stopping = false
    /// Loop thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    init(maxConnections: Int = 32) {
        _ = CurlLoop.globalInit
        guard let multi = curl_multi_init() else { fatalError("libcurl: curl_multi_init failed (out of memory)") }
        self.multi = multi
        drbook_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConnections)
        let thread = Thread { [self] in self.run() }
        thread.name = "drbook-curl"
        thread.start()
    }

    func add(_ transfer: CurlTransfer) { enqueue(.add(transfer)) }
    func cancel(_ transfer: CurlTransfer) {
        // Flagged here too, so a cancel that overtakes its own `add` still wins.
        lock.lock()
        transfer.cancelRequested = true
        lock.unlock()
        enqueue(.cancel(transfer))
    }
    func unpause(_ transfer: CurlTransfer) { enqueue(.unpause(transfer)) }

    private func enqueue(_ command: Command) {
        lock.lock()
        commands.append(command)
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    /// Ends the thread once the transfers in flight have finished.
    func shutdown() {
        lock.lock()
        stopping = true
        lock.unlock()
        curl_multi_wakeup(multi)
    }

    private func run() {
        var running: Int32 = 0
        while true {
            lock.lock()
            let pending = commands
            commands.removeAll()
            let stop = stopping
            lock.unlock()
            if stop && pending.isEmpty && active.isEmpty {
                curl_multi_cleanup(multi)
                return
            }
            for command in pending { apply(command) }

            curl_multi_perform(multi, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = drbook_msg_result(message)
                if let transfer = active.removeValue(forKey: easy) {
                    curl_multi_remove_handle(multi, easy)
                    transfer.finish(code: code)
                    transfer.release()
                }
            }

            var timeout: Int = -1
            curl_multi_timeout(multi, &timeout)
            let wait = timeout < 0 ? 1000 : min(timeout, 1000)
            if wait > 0 { curl_multi_poll(multi, nil, 0, Int32(wait), nil) }
        }
    }

    private func apply(_ command: Command) {
        switch command {
        case .add(let transfer):
            lock.lock()
            let cancelled = transfer.cancelRequested
            lock.unlock()
            if cancelled {
                transfer.cancel()
                transfer.release()
                return
            }
            active[transfer.easy] = transfer
            let added = curl_multi_add_handle(multi, transfer.easy)
            if added != CURLM_OK {
                active.removeValue(forKey: transfer.easy)
                transfer.fail(detail: "libcurl could not start the transfer: \(String(cString: curl_multi_strerror(added)))")
                transfer.release()
            }
        case .cancel(let transfer):
            // A finished transfer has left `active`, and its handle's address may have been
            // reused by a newer transfer: compare identity, not just the address.
            guard let current = active[transfer.easy], current === transfer else { return }
            active.removeValue(forKey: transfer.easy)
            curl_multi_remove_handle(multi, transfer.easy)
            transfer.cancel()
            transfer.release()
        case .unpause(let transfer):
            guard let current = active[transfer.easy], current === transfer else { return }
            transfer.unpause()
        }
    }
}
