import DRBookRunbook
import Testing

@Suite("drbook.yaml's platform: names the platform profile, with its position")
struct ProfilePlatformKeyTests {
    @Test("platform: is kept as written with where it was written; without it there is none")
    func platformKey() throws {
        let profile = try Profile.load(yaml: "apiVersion: drbook/v1\nplatform: head\nenvironments: {}\n", file: "drbook.yaml")
        #expect(profile.platform?.value == "head")
        #expect(profile.platform?.location.description == "drbook.yaml:2:11")
        #expect(try Profile.load(yaml: "environments: {}\n", file: "drbook.yaml").platform == nil)
    }

    @Test("an empty or non-string platform is an error at its position")
    func badPlatform() {
        #expect {
            try Profile.load(yaml: "platform: \"\"\n", file: "drbook.yaml")
        } throws: { error in
            String(describing: error).contains("drbook.yaml:1:11: error: platform is empty")
        }
        #expect {
            try Profile.load(yaml: "platform: [head]\n", file: "drbook.yaml")
        } throws: { error in
            String(describing: error).contains("drbook.yaml:1:11: error: platform is a list; expected a string")
        }
    }
}
