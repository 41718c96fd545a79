import ArgumentParser
import DRBookObjectStore
import Foundation

/// How to reach an S3-compatible store; shared by every command that reads one.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("S3 endpoint, e.g. https://ACCOUNT.r2.cloudflarestorage.com.", valueName: "url"))
    var endpoint: String?

    @Option(help: ArgumentHelp("Signing region (R2: auto).", valueName: "region"))
    var region: String = "auto"

    @Flag(help: "Address the bucket as BUCKET.ENDPOINT (AWS) instead of ENDPOINT/BUCKET (R2, default).")
    var virtualHostedStyle = false

    func client(bucket: String) throws -> S3Client {
        guard let text = endpoint ?? ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL_S3"]
            ?? ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL"] else {
            throw BadInput("An s3:// source needs --endpoint URL (or AWS_ENDPOINT_URL_S3).")
        }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw BadInput("--endpoint '\(text)' is not an http(s) URL; write it as https://HOST[:PORT].")
        }
        return S3Client(endpoint: url, region: region, bucket: bucket, credentials: try S3Credentials.fromEnvironment(),
                        addressing: virtualHostedStyle ? .virtualHost : .path)
    }
}
