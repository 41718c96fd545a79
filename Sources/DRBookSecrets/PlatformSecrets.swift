import DRBookPlatform

// The value formats are the platform profile's vocabulary (its `format:` fields), defined
// beside it in DRBookPlatform; these names keep them part of this module's API.
public typealias ValueFormat = DRBookPlatform.ValueFormat
public typealias ValueFormatError = DRBookPlatform.ValueFormatError

extension Placeholders {
    /// The values a platform profile says mean "never set", by variable name.
    public init(platform: PlatformProfile) {
        self.init(byVariable: platform.placeholderValues)
    }
}

extension SecretsChecker {
    /// This checker judging values by a platform profile too: its placeholders added to the
    /// validator's, its formats for keys named without one.
    public func judging(by platform: PlatformProfile) -> SecretsChecker {
        var checker = self
        checker.validator.placeholders = Placeholders(platform: platform).merging(validator.placeholders)
        checker.formats = platform.valueFormats.merging(formats) { _, own in own }
        return checker
    }
}
