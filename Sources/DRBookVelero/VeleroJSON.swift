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
            let reason = numberOutOfRange(in: data) ?? KubeJSON.describe(error)
            throw BackupStoreError(object: object, what: "is not \(expected) (\(reason))",
                                   fix: "check that the object was written by Velero and is complete; copy it again from the bucket if this is a mirror")
        }
    }

    /// Foundation's decoder calls a well-formed document "not valid JSON" when a number does
    /// not fit its field (a 40-digit count, say) and names no field. Read as plain JSON, the
    /// document shows which number it was.
    static func numberOutOfRange(in data: Data) -> String? {
        guard let document = try? decoder().decode(JSONValue.self, from: data) else { return nil }
        var fractions: [String] = []
        func search(_ value: JSONValue, _ path: String) -> String? {
            switch value {
            case let .double(number) where number.rounded() == number || !number.isFinite:
                // Integral yet not an Int: beyond Int's range.
                return "\(path.isEmpty ? "the document" : path) is \(number), out of range; expected a whole number of at most \(Int.max)"
            case .double:
                fractions.append(path)
                return nil
            case let .array(items):
                for (index, item) in items.enumerated() { if let found = search(item, "\(path)[\(index)]") { return found } }
                return nil
            case let .object(fields):
                for key in fields.keys.sorted() { if let found = search(fields[key]!, path.isEmpty ? key : "\(path).\(key)") { return found } }
                return nil
            default:
                return nil
            }
        }
        if let found = search(document, "") { return found }
        guard !fractions.isEmpty else { return nil }
        return "a number with a fraction where a whole number belongs, at one of: \(fractions.joined(separator: ", "))"
    }
}
