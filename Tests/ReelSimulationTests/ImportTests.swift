import Foundation
import Reel
@testable import ReelWorkloads
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

    /// String ids (as real data names things) map to engine ids deterministically, the mapping is kept
    /// (private to its owner) and reported, and importing again maps the same strings to the same ids.
    @Test func stringIDsAreMappedKeptAndStable() async throws {
        let dir = NSTemporaryDirectory() + "reel-import-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            video_id,creator_id,duration_ms,tags,sound_id,caption,uploaded_at
            tt0111161,studio-a,15000,drama,,The Shawshank Redemption (1994),2026-01-02T10:00:00Z
            0104257,studio-a,20000,crime,,A Few Good Men (1992),2026-01-02T10:00:00Z
            """.write(toFile: "\(dir)/v.csv", atomically: true, encoding: .utf8)
        try """
            user_id,video_id,timestamp,watch_ratio,liked
            alice@example,tt0111161,2026-01-05T10:00:00Z,1.0,1
            bob,0104257,2026-01-05T10:01:00Z,0.5,0
            bob,tt0111161,2026-01-05T10:02:00Z,0.9,0
            carol,tt9999999,2026-01-05T10:03:00Z,0.9,0
            """.write(toFile: "\(dir)/i.csv", atomically: true, encoding: .utf8)
        let engine = try ReelEngine(configuration: ReelConfiguration(dataDirectory: "\(dir)/data"))
        let task = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
        let importer = Importer(engine: engine, skipBadRows: true)
        let videos = try await importer.importVideos("\(dir)/v.csv")
        #expect(videos.imported == 2 && videos.mappedIDs == 2, "tt0111161 and studio-a are strings; 0104257 is the integer 104257")
        let rows = try await importer.importInteractions("\(dir)/i.csv")
        #expect(rows.imported == 3 && rows.skipped == 1 && rows.mappedIDs == 2)
        #expect(rows.firstSkipped.first?.contains("i.csv:5: video_id \"tt9999999\" names no imported video") == true)
        let ids = try ExternalIDs(path: "\(dir)/data/import-ids.tsv")
        let shawshank = try #require(ids.id("tt0111161", kind: .video, create: false))
        #expect(shawshank >= ExternalIDs.hashedBase && shawshank < ReelEngine.importedIDLimit)
        #expect(ids.id("0104257", kind: .video, create: false) == 104_257)
        let studio = try #require(ids.id("studio-a", kind: .user, create: false))
        await engine.waitForViews()
        #expect(engine.video(shawshank)?.creator == studio && engine.video(shawshank)?.counters.plays == 2)
        #expect(engine.video(104_257)?.counters.plays == 1)
        let mode = try FileManager.default.attributesOfItem(atPath: "\(dir)/data/import-ids.tsv")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // Again: nothing new, the same ids.
        let position = engine.status.journalPosition
        let again = try await importer.importInteractions("\(dir)/i.csv")
        #expect(again.imported == 0 && again.unchanged == 3 && again.mappedIDs == 0)
        #expect(try await importer.importVideos("\(dir)/v.csv").unchanged == 2)
        #expect(engine.status.journalPosition == position)
        #expect(try ExternalIDs(path: "\(dir)/data/import-ids.tsv").id("tt0111161", kind: .video, create: false) == shawshank)
        await engine.shutdown()
        try await task.value
    }

    /// The documented rule: integers below 2^39 are themselves; other strings hash into [2^39, 2^40) per kind;
    /// a collision with another string takes the next `#k` variant, and the file remembers which.
    @Test func externalIDRuleAndCollisions() throws {
        let dir = NSTemporaryDirectory() + "reel-ids-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = "\(dir)/ids.tsv"
        let memory = try ExternalIDs(path: nil)
        #expect(memory.id("42", kind: .user, create: true) == 42 && memory.id("007", kind: .user, create: true) == 7)
        #expect(memory.id("\(1 << 39)", kind: .user, create: true)! >= ExternalIDs.hashedBase, "too large to be its own id")
        let u1 = memory.id("u1", kind: .user, create: true)!
        #expect(u1 == ExternalIDs.hashed("user:u1") && memory.id("u1", kind: .video, create: true) == ExternalIDs.hashed("video:u1"))
        // Someone else already holds u1's hash: u1 gets the "#1" variant, and keeps it after a reload.
        try "user\t\(u1)\tsomeone-else\n".write(toFile: path, atomically: true, encoding: .utf8)
        let ids = try ExternalIDs(path: path)
        #expect(ids.id("someone-else", kind: .user, create: false) == u1)
        let moved = ids.id("u1", kind: .user, create: true)
        #expect(moved == ExternalIDs.hashed("user:u1#1"))
        try ids.save()
        #expect(try ExternalIDs(path: path).id("u1", kind: .user, create: false) == moved)
        // A damaged mapping file names its line.
        try "user\tnot-a-number\tx\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: CSVError.self) { try ExternalIDs(path: path) }
    }

    private func sessionOf(user: UInt64) -> UInt64 {
        // The importer's session for (user, day of 2026-01-05).
        let day = Timestamp(parsing: "2026-01-05T10:00:00Z")!.microseconds / 86_400_000_000
        return Importer.sessionID(user: user, day: day)
    }
}
