import DRBookKube
import Foundation

/// Kubernetes JSON conventions: RFC 3339 times (`2026-08-15T02:17:00Z`, sometimes with
/// fractional seconds).
public enum VeleroJSON {
    // Velero's objects are Kubernetes objects: the same time format as the API's.
    public static func decoder() -> JSONDecoder { KubeJSON.decoder() }
    public static func parseTime(_ text: String) -> Date? { KubeJSON.parseTime(text) }
    public static func formatTime(_ date: Date) -> String { KubeJSON.formatTime(date) }

    /// Decodes `data`, turning a decoding failure into an error that names the
    /// object and the field at fault.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, object: String, expected: String) throws -> T {
        do {
            return try decoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw BackupStoreError(object: object, what: "is not \(expected) (\(KubeJSON.describe(error)))",
                                   fix: "check that the object was written by Velero and is complete; copy it again from the bucket if this is a mirror")
        }
    }
}
