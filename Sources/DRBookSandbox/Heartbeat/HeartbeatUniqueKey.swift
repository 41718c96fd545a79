import DRBookDigest
import Foundation

enum HeartbeatUniqueKey {
    /// healthchecks' `unique_key`: sha1 of the first 16 hex digits of the UUID without dashes.
    static func of(uuid: String) -> String {
        LibcryptoDigest.sha1.hex(of: Data(uuid.lowercased().replacingOccurrences(of: "-", with: "").prefix(16).utf8))
    }
}
