import Testing
@testable import DRBookRunbook

@Suite("Doc anchors follow GitHub's heading slugs")
struct DocAnchorTests {
    @Test("slugs are lowercase, without punctuation but - and _, spaces as -")
    func slugs() {
        #expect(MarkdownAnchors.slug("Restore from a backup") == "restore-from-a-backup")
        #expect(MarkdownAnchors.slug("What's new? (v1.2)") == "whats-new-v12")
        #expect(MarkdownAnchors.slug("Step 3: `velero restore`") == "step-3-velero-restore")
        #expect(MarkdownAnchors.slug("foo_bar & baz") == "foo_bar--baz")
        #expect(MarkdownAnchors.slug("See [the runbook](runbook.md)") == "see-the-runbook")
        #expect(MarkdownAnchors.slug("Sécurité") == "sécurité")
    }

    @Test("repeated headings are numbered, fenced code is skipped, setext and explicit anchors count")
    func anchorsOfAFile() {
        let markdown = """
            # Heartbeat
            ## Heartbeat ##
            ```yaml
            # comment, not a heading
            ```
            Checks
            ------
            #NotAHeading
            ## Heartbeat
            <a id="custom-spot"></a>
            """
        #expect(MarkdownAnchors.anchors(in: markdown) == ["heartbeat", "heartbeat-1", "checks", "heartbeat-2", "custom-spot"])
    }
}
