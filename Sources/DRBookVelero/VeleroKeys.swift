/// Object keys of a Velero store, relative to the BSL prefix
/// (`pkg/persistence/object_store_layout.go`; reference/velero.md §1).
public enum VeleroKeys {
    /// The only top-level folders Velero accepts; any other makes the BSL Unavailable (trap 5).
    public static let allowedTopLevelFolders: Set<String> = ["backups", "restores", "restic", "metadata", "plugins", "kopia"]

    public static let backupsPrefix = "backups/"
    public static func backupFolder(_ backup: String) -> String { "backups/\(backup)/" }
    public static func metadata(_ backup: String) -> String { "backups/\(backup)/velero-backup.json" }
    public static func tarball(_ backup: String) -> String { "backups/\(backup)/\(backup).tar.gz" }
    public static func logs(_ backup: String) -> String { "backups/\(backup)/\(backup)-logs.gz" }
    public static func podVolumeBackups(_ backup: String) -> String { "backups/\(backup)/\(backup)-podvolumebackups.json.gz" }
    public static func volumeSnapshots(_ backup: String) -> String { "backups/\(backup)/\(backup)-volumesnapshots.json.gz" }
    public static func itemOperations(_ backup: String) -> String { "backups/\(backup)/\(backup)-itemoperations.json.gz" }
    public static func resourceList(_ backup: String) -> String { "backups/\(backup)/\(backup)-resource-list.json.gz" }
    /// No `.json` in the name.
    public static func results(_ backup: String) -> String { "backups/\(backup)/\(backup)-results.gz" }
    public static func volumeInfo(_ backup: String) -> String { "backups/\(backup)/\(backup)-volumeinfo.json.gz" }
    /// One Kopia repository per source namespace: `kopia/<ns>/`.
    public static func kopiaRepository(_ namespace: String) -> String { "kopia/\(namespace)/" }
    /// Kopia's format blob, present in every initialised repository.
    public static func kopiaFormatBlob(_ namespace: String) -> String { "kopia/\(namespace)/kopia.repository" }
}
