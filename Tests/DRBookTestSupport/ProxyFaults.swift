import DRBookHTTP
import Foundation

/// Faults the verifying proxy injects for one key (matched on the end of `/bucket/key`,
/// so tests with their own buckets never disturb each other).
extension SignedS3 {
    /// The next `times` GETs of the key break off after `bytes` body bytes, as a reset
    /// connection would.
    public func cutDownloads(bucket: String, key: String, after bytes: Int, times: Int = 1) async throws {
        try await register("cut", ["suffix": "\(bucket)/\(key)", "after": String(bytes), "times": String(times)])
    }

    /// The next `times` requests for the key get this S3 error instead of an answer.
    public func failRequests(bucket: String, key: String, status: Int, code: String, times: Int = 1) async throws {
        try await register("fail", ["suffix": "\(bucket)/\(key)", "status": String(status), "code": code, "times": String(times)])
    }

    private func register(_ kind: String, _ parameters: [String: String]) async throws {
        let query = HTTPQuery.string(parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let url = URL(string: "\(proxy.baseURL.absoluteString)/__drbook/\(kind)?\(query)")!
        let response = try await HTTPClient.shared.send(HTTPRequest(.post, url, retry: .never))
        guard response.isSuccess else { throw CommandFailed(command: "register proxy fault \(kind)", status: Int32(response.status), output: response.bodyText) }
    }
}
