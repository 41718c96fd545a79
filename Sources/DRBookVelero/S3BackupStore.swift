import DRBookHTTP
import DRBookObjectStore
import Foundation

/// A Velero store in an S3-compatible bucket (R2, AWS, MinIO), under the
/// BackupStorageLocation's prefix.
public struct S3BackupStore: WritableBackupStore {
    public let client: S3Client
    /// Trimmed of `/`; empty for the bucket root.
    public let prefix: String

    public init(client: S3Client, prefix: String) {
        self.client = client
        self.prefix = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }

    public var location: StoreLocation { .s3(bucket: client.bucket, prefix: prefix) }

    public var parent: (any BackupStore)? {
        guard !prefix.isEmpty else { return nil }
        return S3BackupStore(client: client, prefix: prefix.split(separator: "/").dropLast().joined(separator: "/"))
    }

    private func fullKey(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix)/\(key)" }

    private func relative(_ key: String) -> String {
        prefix.isEmpty ? key : String(key.dropFirst(prefix.count + 1))
    }

    public func commonPrefixes(under prefixPath: String) async throws -> [String] {
        let listed = try await client.listAllObjects(prefix: fullKey(prefixPath), delimiter: "/")
        return listed.commonPrefixes.map(relative).sorted()
    }

    public func objects(under prefixPath: String) async throws -> [StoreObject] {
        try await client.listAllObjects(prefix: fullKey(prefixPath)).objects.map { StoreObject(key: relative($0.key), size: $0.size) }
    }

    public func anyObject(under prefixPath: String) async throws -> StoreObject? {
        try await client.listObjects(prefix: fullKey(prefixPath), maxKeys: 1).objects.first.map { StoreObject(key: relative($0.key), size: $0.size) }
    }

    public func read(_ key: String, limit: Int) async throws -> Data? {
        let body: HTTPBody
        do {
            body = try await client.stream(fullKey(key))
        } catch let error as S3Error where error.code == "NoSuchKey" {
            return nil
        }
        var data = Data()
        while let chunk = try await body.next() {
            guard data.count + chunk.count <= limit else {
                body.cancel()
                throw BackupStoreError(object: display(key), what: "the object is larger than the \(limit) bytes drbook reads into memory",
                                       fix: "check that this is the Velero object it is named after")
            }
            data.append(chunk)
        }
        return data
    }

    /// Resumes after dropped connections, so a network blip is not taken for a broken tarball.
    public func chunks(of key: String) async throws -> ObjectChunks {
        let reader = try await ResumingObjectReader(client: client, key: fullKey(key))
        return ObjectChunks(next: { try reader.nextChunkBlocking() }, cancel: { reader.cancel() })
    }

    public func exists(_ key: String) async throws -> Bool {
        try await client.head(fullKey(key)) != nil
    }

    public func write(_ key: String, data: Data) async throws {
        try await client.put(fullKey(key), body: .bytes(data))
    }

    public func write(_ key: String, fromFile path: String) async throws {
        try await client.put(fullKey(key), body: .file(path: path))
    }
}
