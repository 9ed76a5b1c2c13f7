import Foundation
import Reel
import ReelWorkloads
import Testing

@Suite struct ImportTests {
    let videos = """
        video_id,creator_id,duration_ms,tags,sound_id,caption,uploaded_at
        1,100,15000,cats|funny,7,"a cat, surprised",2026-01-02T10:00:00Z
        2,100,30000,food,0,pasta night,1767348000
        3,101,20000,"travel,beach",,sunset,2026-01-03T09:00:00Z
        """
    let interactions = """
        user_id,video_id,timestamp,watch_ratio,liked,shared,followed
        500,1,2026-01-05T10:00:00Z,1.0,1,0,1
        500,2,2026-01-05T10:01:00Z,0.1,0,0,0
        501,1,2026-01-05T11:00:00Z,2.5,true,1,0
        500,3,2026-01-06T08:00:00Z,0.5,,,
        """

    @Test func importingTwiceAddsNothingAndTheDataArrives() async throws {
        let dir = NSTemporaryDirectory() + "reel-import-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try videos.write(toFile: "\(dir)/v.csv", atomically: true, encoding: .utf8)
        try interactions.write(toFile: "\(dir)/i.csv", atomically: true, encoding: .utf8)
        let engine = try ReelEngine(configuration: ReelConfiguration(dataDirectory: "\(dir)/data"))
        let task = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
        let importer = Importer(engine: engine)
        #expect(try await importer.importVideos("\(dir)/v.csv").imported == 3)
        #expect(try await importer.importInteractions("\(dir)/i.csv").imported == 4)
        let position = engine.status.journalPosition
        let again = try await importer.importInteractions("\(dir)/i.csv")
        #expect(again.imported == 0 && again.unchanged == 4)
        #expect(try await importer.importVideos("\(dir)/v.csv").unchanged == 3)
        #expect(engine.status.journalPosition == position, "a second import wrote nothing")
        await engine.waitForViews()
        let v1 = try #require(engine.video(1))
        #expect(v1.caption == "a cat, surprised" && v1.hashtags == ["cats", "funny"] && v1.sound == 7 && v1.creator == 100)
        #expect(v1.publishedAt == Timestamp(parsing: "2026-01-02T10:00:00Z"))
        #expect(v1.counters.plays == 2 && v1.counters.likes == 2 && v1.counters.shares == 1 && v1.counters.completions == 2)
        #expect(engine.following(500) == [100])
        // The occurredAt of the first watch is the row's timestamp.
        let sessionEvents = try engine.events(of: .session, sessionOf(user: 500))
        #expect(sessionEvents.contains { if case .watched(let w) = $0.event { return w.occurredAt == Timestamp(parsing: "2026-01-05T10:00:00Z") } else { return false } })
        await engine.shutdown()
        try await task.value
    }

    @Test func badRowsStopWithFileLineAndReasonOrAreSkipped() async throws {
        let dir = NSTemporaryDirectory() + "reel-import-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "user_id,video_id,timestamp\n500,1,yesterday\n501,x,2026-01-01T00:00:00Z\n".write(toFile: "\(dir)/bad.csv", atomically: true, encoding: .utf8)
        try "user_id,timestamp\n1,2\n".write(toFile: "\(dir)/columns.csv", atomically: true, encoding: .utf8)
        try "video_id,creator_id,duration_ms,tags,sound_id,caption,uploaded_at\n1,2,-5,,,x,2026-01-01T00:00:00Z\n".write(toFile: "\(dir)/duration.csv", atomically: true, encoding: .utf8)
        let engine = try ReelEngine(configuration: ReelConfiguration(dataDirectory: "\(dir)/data"))
        let task = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
        let stop = await #expect(throws: CSVError.self) { try await Importer(engine: engine).importInteractions("\(dir)/bad.csv") }
        #expect(stop?.line == 2 && stop?.description.contains("bad.csv:2: timestamp \"yesterday\"") == true)
        let skipped = try await Importer(engine: engine, skipBadRows: true).importInteractions("\(dir)/bad.csv")
        #expect(skipped.skipped == 2 && skipped.imported == 0 && skipped.firstSkipped[1].contains("bad.csv:3: video_id \"x\""))
        let columns = await #expect(throws: CSVError.self) { try await Importer(engine: engine).importInteractions("\(dir)/columns.csv") }
        #expect(columns?.reason.contains("no column \"video_id\"") == true)
        let duration = await #expect(throws: CSVError.self) { try await Importer(engine: engine).importVideos("\(dir)/duration.csv") }
        #expect(duration?.reason.contains("duration_ms") == true)
        // Interactions with a video that was never imported name it.
        try "user_id,video_id,timestamp\n500,42,2026-01-01T00:00:00Z\n".write(toFile: "\(dir)/missing.csv", atomically: true, encoding: .utf8)
        let missing = await #expect(throws: CSVError.self) { try await Importer(engine: engine).importInteractions("\(dir)/missing.csv") }
        #expect(missing?.reason.contains("video 42") == true)
        await engine.shutdown()
        try await task.value
    }

    private func sessionOf(user: UInt64) -> UInt64 {
        // The importer's session for (user, day of 2026-01-05).
        let day = Timestamp(parsing: "2026-01-05T10:00:00Z")!.microseconds / 86_400_000_000
        return Importer.sessionID(user: user, day: day)
    }
}
