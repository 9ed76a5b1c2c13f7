import Foundation
import GRDB
import Reel
import ReelTesting
import ReelViews
import Testing

/// Damage to the stores beside the journal (issue 24, item 11): derived stores (views, snapshots, model) that
/// fail their checks are rebuilt from the journal with the same answers; secret stores (keys, accounts) that
/// fail theirs stop the start, naming the file.
@Suite struct StoreDamageTests {
    struct Answers: Equatable {
        var plays: UInt64
        var likes: UInt64
        var sessionState: JSONValue
        var handle: String?
    }

    /// An engine's data directory with a few videos, a viewer's watches and likes, snapshots of every entity
    /// and a views checkpoint; returns how to ask the same questions again.
    func populated(_ dir: String) async throws -> (ReelConfiguration, (ReelEngine) throws -> Answers, Answers) {
        var config = testConfiguration(dir)
        config.snapshots.everyEvents = 1
        let (video, session, viewer) = try await withRunningEngine(config) { engine in
            let (_, videos) = try await publishVideos(engine, count: 3)
            let viewer = try await engine.registerUser(handle: "damaged", region: "US", email: "d@example.org", displayName: "D")
            let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            for v in videos {
                try await engine.engage(session: session, .watch(video: v, watchMillis: 4_000, completed: true))
                try await engine.engage(session: session, .like(video: v))
            }
            try await settle(engine)
            return (videos[0], session, viewer)
        }
        let ask: (ReelEngine) throws -> Answers = { engine in
            Answers(
                plays: engine.video(video)?.counters.plays ?? 0, likes: engine.video(video)?.counters.likes ?? 0,
                sessionState: try engine.audit(.session, session).state, handle: engine.user(viewer)?.handle)
        }
        let before = try await withRunningEngine(config) { engine in
            try await settle(engine)
            return try ask(engine)
        }
        #expect(before.plays == 1 && before.likes == 1 && before.handle == "damaged")
        return (config, ask, before)
    }

    /// Overwrites `count` bytes at `offset` (from the end when negative) with seeded garbage.
    func garble(_ path: String, at offset: Int, count: Int) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        let start = offset >= 0 ? offset : size + offset
        try handle.seek(toOffset: UInt64(start))
        var rng = SplitMix64(seed: UInt64(start))
        try handle.write(contentsOf: Data((0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
    }

    /// Every page of the file read back through SQLite, so the file on disk holds what the WAL held.
    func foldWAL(_ path: String) throws {
        let db = try DatabaseQueue(path: path)
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try db.close()
    }

    @Test(arguments: ["views: a flipped byte inside a history block", "views: a garbled header", "views: garbage pages",
        "snapshots: a flipped byte inside a state", "snapshots: a garbled header", "model: a garbled file"])
    func aDamagedDerivedStoreIsRebuiltWithTheSameAnswers(_ damage: String) async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let (config, ask, before) = try await populated(dir)
        let views = "\(dir)/views.sqlite"
        let snapshots = "\(dir)/snapshots.sqlite"
        switch damage {
        case "views: a flipped byte inside a history block":
            // SQLite's structure stays sound: only the block's own checksum can see this.
            let db = try DatabaseQueue(path: views)
            try await db.write { db in
                let row = try #require(try Row.fetchOne(db, sql: "SELECT rowid, block FROM view_history ORDER BY length(block) DESC LIMIT 1"))
                var block = Array(row[1] as Data)
                block[block.count / 2] ^= 0x04
                try db.execute(sql: "UPDATE view_history SET block = ? WHERE rowid = ?", arguments: [Data(block), row[0] as Int64])
            }
            try db.close()
        case "views: a garbled header":
            try foldWAL(views)
            try garble(views, at: 0, count: 100)
        case "views: garbage pages":
            try foldWAL(views)
            // 16 KiB pages: the second page onwards is b-tree pages of the history and the search index.
            try garble(views, at: 16_384, count: 3 * 16_384)
        case "snapshots: a flipped byte inside a state":
            let db = try DatabaseQueue(path: snapshots)
            try await db.write { db in
                try db.execute(sql: "UPDATE snapshot SET state = CAST(state AS BLOB) || x'00'")
                #expect(db.changesCount > 0)
            }
            try db.close()
        case "snapshots: a garbled header":
            try foldWAL(snapshots)
            try garble(snapshots, at: 0, count: 100)
        default:
            try garble("\(dir)/recommender.model", at: 60, count: 64)
        }
        if damage.hasPrefix("views") {
            // The damage is seen (on a copy: the engine below must find it too).
            let copy = "\(dir)/views-copy.sqlite"
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: views + suffix) {
                try FileManager.default.copyItem(atPath: views + suffix, toPath: copy + suffix)
            }
            let store = try ViewStore.openOrRebuild(path: copy)
            #expect(store.discardedDamage != nil, "\(damage) went unnoticed")
            #expect(store.nextPosition == 0)
        }
        let after = try await withRunningEngine(config) { engine in
            try await settle(engine)
            let answers = try ask(engine)
            // And it takes commands against the rebuilt state.
            _ = try await engine.registerUser(handle: "afterdamage", region: "US", email: "a@example.org", displayName: "A")
            return answers
        }
        #expect(after == before, "\(damage)")
        // The store was replaced by a sound one: the next start finds nothing wrong.
        if damage.hasPrefix("views") {
            let store = try ViewStore.openOrRebuild(path: views)
            #expect(store.discardedDamage == nil)
        }
    }

    /// A damaged key store cannot be rebuilt: the start stops and says which file to restore (the server's
    /// accounts: `SignUpTests`).
    @Test func aDamagedKeyStoreStopsTheStart() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        _ = try await populated(dir)
        let path = "\(dir)/keys.sqlite"
        try garble(path, at: 0, count: 100)
        do {
            _ = try ReelEngine(configuration: testConfiguration(dir))
            Issue.record("opened a damaged key store")
        } catch {
            #expect(error.message.contains(path) && error.message.contains("damaged") && error.message.contains("backup"), "\(error)")
        }
    }
}
