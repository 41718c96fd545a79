/// drbook's version, shown by `drbook --version` and sent as the User-Agent.
public enum DRBookVersion {
    public static let current = "0.1.0"
}
