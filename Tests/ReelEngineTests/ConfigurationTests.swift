import Foundation
import Reel
import Testing

@Suite struct ConfigurationTests {
    @Test func environmentOverridesTheFileWhichOverridesDefaults() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let file = "\(dir)/reel.json"
        try #"{"dataDirectory": "/srv/reel", "journal": {"segmentSizeBytes": 1048576, "compressionLevel": 3}, "server": {"port": 9000}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let c = try await ReelConfiguration.load(file: file, environment: ["REEL_JOURNAL_COMPRESSION_LEVEL": "5", "REEL_SERVER_HOST": "0.0.0.0", "UNRELATED": "x"])
        #expect(c.dataDirectory == "/srv/reel")
        #expect(c.journal.segmentSizeBytes == 1 << 20)
        #expect(c.journal.compressionLevel == 5)
        #expect(c.server.port == 9000 && c.server.host == "0.0.0.0")
        #expect(c.actors == ReelConfiguration.ActorSettings(), "untouched sections keep their defaults")
        // What `reel config print` shows is itself a configuration file that loads to the same values.
        try c.json.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await ReelConfiguration.load(file: file, environment: [:]) == c)
    }

    @Test func badValuesAreErrorsThatNameTheKey() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let notANumber = await #expect(throws: ConfigurationError.self) { try await ReelConfiguration.load(environment: ["REEL_SERVER_PORT": "eighty"]) }
        #expect(notANumber?.key == "server.port")
        let outOfRange = await #expect(throws: ConfigurationError.self) { try await ReelConfiguration.load(environment: ["REEL_JOURNAL_COMPRESSION_LEVEL": "40"]) }
        #expect(outOfRange?.description.contains("outside 0...19") == true)
        let missing = await #expect(throws: ConfigurationError.self) { try await ReelConfiguration.load(file: "\(dir)/none.json", environment: [:]) }
        #expect(missing?.message == "no such configuration file")
        try "{ not json".write(toFile: "\(dir)/bad.json", atomically: true, encoding: .utf8)
        await #expect(throws: ConfigurationError.self) { try await ReelConfiguration.load(file: "\(dir)/bad.json", environment: [:]) }
        try #"{"views": {"checkpointEvents": "lots"}}"#.write(toFile: "\(dir)/type.json", atomically: true, encoding: .utf8)
        let wrongType = await #expect(throws: ConfigurationError.self) { try await ReelConfiguration.load(file: "\(dir)/type.json", environment: [:]) }
        #expect(wrongType?.key == "views.checkpointEvents")
    }

    @Test func everyKeyHasAnEnvironmentName() {
        #expect(ReelConfiguration.environmentName(of: "journal.segmentSizeBytes") == "REEL_JOURNAL_SEGMENT_SIZE_BYTES")
        #expect(ReelConfiguration.environmentName(of: "dataDirectory") == "REEL_DATA_DIRECTORY")
        #expect(Set(ReelConfiguration.fields.map(\.key)).count == ReelConfiguration.fields.count)
    }
}
