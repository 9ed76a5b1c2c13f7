import Foundation
import ReelDomain
import ReelJournal
import Testing

/// Journals written by earlier format versions must replay for ever: same events, same decoded content,
/// same head hash. Fixtures live in `Journal/golden/<version>/` and are never rewritten.
@Suite struct GoldenJournalTests {
    static let versions: [String] = {
        let root = "\(packageRoot)/Journal/golden"
        return ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }()

    @Test func thereIsAtLeastOneGoldenJournal() {
        #expect(Self.versions.contains("v1"))
    }

    @Test(arguments: versions)
    func goldenJournalReplaysToItsExpectedContent(version: String) throws {
        let source = "\(packageRoot)/Journal/golden/\(version)"
        // Work on a copy: opening must not touch the committed fixture.
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        try FileManager.default.removeItem(atPath: dir)
        try FileManager.default.copyItem(atPath: source, toPath: dir)
        var config = JournalConfiguration(directory: "\(dir)/journal")
        config.readOnly = true
        config.cipher = try KeyStore(path: "\(dir)/keys.sqlite")
        let j = try Journal.open(config)
        let expected = try String(contentsOfFile: "\(dir)/expected.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        var lines: [String] = []
        var cursor = j.events(decryptPersonal: true)
        while let e = try cursor.next() { lines.append(try EventCatalog.json(e).rendered) }
        #expect(lines == expected)
        let head = try String(contentsOfFile: "\(dir)/head-hash.txt", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let report = j.verify()
        #expect(report.ok && report.headHash.hexString == head)
        #expect(j.recovery.segments > 1, "the fixture spans several segments")
    }
}
