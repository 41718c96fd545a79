import ArgumentParser
import DRBookObjectStore
import DRBookVelero
import Foundation

/// How to reach an S3-compatible store; shared by every command that reads one.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("S3 endpoint, e.g. https://ACCOUNT.r2.cloudflarestorage.com (or AWS_ENDPOINT_URL_S3).", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("Signing region (R2: auto).", valueName: "region"))
    var region: String = "auto"

    @Flag(help: "Address the bucket as BUCKET.ENDPOINT (AWS) instead of ENDPOINT/BUCKET (R2, default).")
    var virtualHostedStyle = false

    private var addressing: S3Addressing { virtualHostedStyle ? .virtualHost : .path }

    private func endpointURL() throws -> URL? { try S3Endpoint.resolve(endpoint) }

    func client(bucket: String) throws -> S3Client {
        guard let url = try endpointURL() else {
            throw BadInput("An s3:// source needs --endpoint URL (or AWS_ENDPOINT_URL_S3).")
        }
        return S3Client(endpoint: url, region: region, bucket: bucket, credentials: try S3Credentials.fromEnvironment(),
                        addressing: addressing)
    }

    /// The Velero store at `--store`: `s3://BUCKET/PREFIX` or `file:///DIR/PREFIX`.
    func backupStore(_ location: String) throws -> (StoreLocation, any BackupStore) {
        let parsed: StoreLocation
        do { parsed = try StoreLocation.parse(location) } catch { throw BadInput(String(describing: error)) }
        if case .s3 = parsed {
            guard let url = try endpointURL() else {
                throw BadInput("An s3:// store needs --endpoint URL (for R2: https://ACCOUNT_ID.r2.cloudflarestorage.com) or AWS_ENDPOINT_URL_S3.")
            }
            let credentials = try S3Credentials.fromEnvironment()
            do { return (parsed, try parsed.open(endpoint: url, region: region, credentials: credentials, addressing: addressing)) }
            catch { throw BadInput(String(describing: error)) }
        }
        return (parsed, try parsed.open(endpoint: nil, credentials: nil))
    }
}

/// `--output text|json`: text for people, JSON for scripts.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
