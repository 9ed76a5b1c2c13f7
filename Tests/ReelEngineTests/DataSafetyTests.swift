import Foundation
import GRDB
import Reel
import Synchronization
import ReelTesting
import Testing

@Suite struct DataSafetyTests {
    /// A backup taken while commands keep arriving restores to a directory an engine opens, with every event
    /// up to the backup's position and views that agree with them; a damaged backup is refused.
    @Test func backupDuringWritesRestoresAndVerifies() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let (video, manifest) = try await withRunningEngine(testConfiguration(dir)) { engine in
            let (_, videos) = try await publishVideos(engine, count: 1)
            let viewer = try await engine.registerUser(handle: "watcher", region: "US", email: "w@example.org", displayName: "W")
            let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            let stop = Atomic<Bool>(false)
            let writer = Task {
                var n = 0
                while !stop.load(ordering: .relaxed) {
                    try await engine.engage(session: session, .watch(video: videos[0], watchMillis: 1_000, completed: false))
                    n += 1
                }
                return n
            }
            try await Task.sleep(for: .milliseconds(300))
            // A store beside the engine's, as the server keeps its accounts: it must come back too.
            let accounts = try DatabaseQueue(path: "\(dir)/accounts.sqlite")
            try await accounts.write { try $0.execute(sql: "CREATE TABLE account (handle TEXT); INSERT INTO account VALUES ('watcher')") }
            try accounts.close()
            let manifest = try Backup.create(dataDirectory: dir, destination: "\(dir)-backup")
            #expect(manifest.files.contains { $0.path == "accounts.sqlite" })
            try await Task.sleep(for: .milliseconds(200))
            stop.store(true, ordering: .relaxed)
            let total = try await writer.value
            #expect(manifest.journalNextPosition < engine.status.journalPosition, "writes went on after the backup")
            #expect(total > 0)
            return (videos[0], manifest)
        }
        defer { cleanup("\(dir)-backup") }
        let restored = "\(dir)-restored"
        defer { cleanup(restored) }
        #expect(try Backup.restore("\(dir)-backup", into: restored) == manifest)
        let accounts = try DatabaseQueue(path: "\(restored)/accounts.sqlite")
        #expect(try await accounts.read { try String.fetchOne($0, sql: "SELECT handle FROM account") } == "watcher")
        try accounts.close()
        try await withRunningEngine(testConfiguration(restored)) { engine in
            #expect(engine.status.journalPosition == manifest.journalNextPosition)
            try await settle(engine)
            // Plays in the restored views equal the watch events in the restored journal.
            let counter = WatchCounter()
            let sub = engine.subscribe(counter)
            #expect(sub.waitUntil(delivered: manifest.journalNextPosition))
            #expect(engine.video(video)?.counters.plays == UInt64(counter.watches))
            #expect(counter.watches > 0)
        }
        // Restoring over existing data is refused; a flipped byte is caught.
        #expect(throws: ReelError.self) { try Backup.restore("\(dir)-backup", into: restored) }
        let segment = try #require(FileManager.default.contentsOfDirectory(atPath: "\(dir)-backup/journal").first { $0.hasSuffix(".seg") })
        let path = "\(dir)-backup/journal/\(segment)"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))
        let damaged = #expect(throws: ReelError.self) { try Backup.verify("\(dir)-backup") }
        #expect(damaged?.code == "damagedFile")
    }

    /// Snapshots and views written by an older schema are not read: entities rebuild from their events and
    /// views from the journal, with the same answers.
    @Test func oldSnapshotAndViewVersionsAreRebuiltFromEvents() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var config = testConfiguration(dir)
        config.snapshots.everyEvents = 1
        let (session, before, plays, video) = try await withRunningEngine(config) { engine in
            let (_, videos) = try await publishVideos(engine, count: 2)
            let viewer = try await engine.registerUser(handle: "old", region: "US", email: "o@example.org", displayName: "O")
            let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            for v in videos { try await engine.engage(session: session, .watch(video: v, watchMillis: 5_000, completed: false)) }
            try await settle(engine)
            return (session, try engine.audit(.session, session).state, engine.video(videos[0])!.counters.plays, videos[0])
        }
        // Pretend an older release wrote them.
        let snapshots = try DatabaseQueue(path: "\(dir)/snapshots.sqlite")
        let marked = try await snapshots.write { db in
            try db.execute(sql: "UPDATE snapshot SET schema_version = 0, state = x'00'")
            return db.changesCount
        }
        #expect(marked > 0)
        try snapshots.close()
        let views = try DatabaseQueue(path: "\(dir)/views.sqlite")
        try await views.write { try $0.execute(sql: "UPDATE meta SET value = 0 WHERE name = 'schemaVersion'") }
        try views.close()

        try await withRunningEngine(config) { engine in
            try await settle(engine)
            #expect(try engine.audit(.session, session).state == before)
            #expect(engine.video(video)?.counters.plays == plays)
            // And it still takes commands against the rebuilt state.
            try await engine.engage(session: session, .like(video: video))
        }
    }

    /// A journal shorter than what the checkpoints folded has lost acknowledged writes: the engine refuses to
    /// start and says what is missing (issue 24: it trapped on every start, or started fresh in silence).
    @Test(arguments: ["cut", "deleted"])
    func aJournalBehindItsCheckpointsIsAnErrorNotAFreshStart(_ damage: String) async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let config = testConfiguration(dir)
        try await withRunningEngine(config) { engine in
            let (_, videos) = try await publishVideos(engine, count: 3)
            let viewer = try await engine.registerUser(handle: "lost", region: "US", email: "l@example.org", displayName: "L")
            let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            for v in videos { try await engine.engage(session: session, .like(video: v)) }
            try await settle(engine)
        }
        let journal = "\(dir)/journal"
        let segments = try FileManager.default.contentsOfDirectory(atPath: journal).filter { $0.hasSuffix(".seg") }.sorted()
        let last = try #require(segments.last, "no segment in \(journal)")
        switch damage {
        case "cut":
            let handle = try #require(FileHandle(forUpdatingAtPath: "\(journal)/\(last)"))
            let size = try handle.seekToEnd()
            try handle.truncate(atOffset: size / 2)
            try handle.close()
            // The journal's own durable head catches this first (JournalDamageTests); without it, the views'
            // and model's checkpoints still do.
            do {
                _ = try ReelEngine(configuration: config)
                Issue.record("the engine started on a cut journal")
            } catch {
                #expect(error.code == "acknowledgedMissing", "\(error)")
            }
            try FileManager.default.removeItem(atPath: "\(journal)/durable-head")
        default:
            for name in try FileManager.default.contentsOfDirectory(atPath: journal) { try FileManager.default.removeItem(atPath: "\(journal)/\(name)") }
        }
        do {
            _ = try ReelEngine(configuration: config)
            Issue.record("the engine started on a journal that lost acknowledged events")
        } catch {
            #expect(error.code == "journalBehindCheckpoint", "\(error)")
            #expect(error.message.contains("missing from the journal") && error.message.contains("backup"), "\(error.message)")
        }
    }

    /// A data directory whose journal holds sealed personal data and whose key store is gone refuses to start,
    /// saying what to restore, every time (no empty key store is left behind to make the next start succeed);
    /// the operator can accept the loss explicitly. A brand-new directory starts as ever.
    @Test func aMissingKeyStoreIsRefusedNotASilentErasure() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var config = testConfiguration(dir)
        let person = try await withRunningEngine(config) { engine in
            try await engine.registerUser(handle: "keptsecret", region: "US", email: "k@example.org", displayName: "Kept")
        }
        try FileManager.default.removeItem(atPath: "\(dir)/keys.sqlite")
        for attempt in 1...2 {
            do {
                _ = try ReelEngine(configuration: config)
                Issue.record("attempt \(attempt): the engine started without the key store its journal needs")
            } catch {
                #expect(error.code == "keyStoreMissing", "\(error)")
                #expect(error.message.contains("keys.sqlite") && error.message.contains("backup"), "\(error.message)")
            }
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/keys.sqlite"), "no empty key store left behind")
        }
        config.journal.allowMissingSecretStores = true
        // With the loss accepted, the engine starts on a new key store and takes new people.
        try await withRunningEngine(config) { engine in
            #expect(engine.user(person) != nil)
            let next = try await engine.registerUser(handle: "afterloss", region: "US", email: "a@example.org", displayName: "A")
            #expect(engine.user(next)?.handle == "afterloss")
        }
        #expect(FileManager.default.fileExists(atPath: "\(dir)/keys.sqlite"))
    }

    /// On a full disk, commands fail with `diskFull` and nothing acknowledged is lost; when space returns
    /// the same engine takes commands again.
    @Test(.enabled(if: TmpfsVolume.canMount, "needs root to mount a small tmpfs"))
    func aFullDiskStopsWritesLosesNothingAndRecovers() async throws {
        let volume = try TmpfsVolume(megabytes: 24)
        defer { volume.unmount() }
        let dir = "\(volume.path)/data"
        var config = testConfiguration(dir)
        config.journal.segmentSizeBytes = 1 << 20
        config.journal.compressionLevel = 0
        // Views checkpoint often, so some checkpoints fail while the disk is full and must be made good later.
        config.views.checkpointEvents = 20
        let (videos, acknowledged) = try await withRunningEngine(config) { engine in
            let (_, videos) = try await publishVideos(engine, count: 2)
            let viewer = try await engine.registerUser(handle: "filler", region: "US", email: "f@example.org", displayName: "F")
            let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            let other = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            try volume.fill(leavingKilobytes: 512)
            var acknowledged = 0
            var full: ReelError?
            while full == nil && acknowledged < 200_000 {
                do {
                    try await engine.engage(session: session, .watch(video: videos[0], watchMillis: 2_000, completed: false))
                    acknowledged += 1
                } catch {
                    full = (error as? ReelError) ?? ReelError(.failure, "unexpected", "\(error)")
                }
            }
            #expect(full?.code == "diskFull", "\(String(describing: full))")
            #expect(full?.category == .unavailable)
            volume.freeBallast()
            // Space is back: the same engine takes commands again. They touch other rows, so the first video's
            // counters reach disk only if the checkpoints that failed kept them pending.
            for _ in 0..<10 { try await engine.engage(session: other, .watch(video: videos[1], watchMillis: 2_000, completed: false)) }
            return (videos, acknowledged)
        }
        try await withRunningEngine(config) { engine in
            #expect(engine.video(videos[0])?.counters.plays == UInt64(acknowledged))
            #expect(engine.video(videos[1])?.counters.plays == 10)
        }
    }
}

final class WatchCounter: EventSubscriber, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private(set) var nextPosition: UInt64 = 0
    func receive(_ events: [SubscribedEvent]) throws {
        lock.withLock {
            for e in events { if case .watched = e.event { count += 1 } }
            nextPosition = events.last!.position + 1
        }
    }
    func checkpoint() throws {}
    var watches: Int { lock.withLock { count } }
}


/// A clock a test moves by hand.
final class TestClock: JournalClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Timestamp
    init(_ start: Timestamp) { current = start }
    func now() -> Timestamp { lock.withLock { current } }
    func advance(days: Int) { lock.withLock { current = Timestamp(microseconds: current.microseconds + Int64(days) * 86_400_000_000) } }
}

@Suite struct RetentionTests {
    /// Served feeds older than the retention are compacted into summaries: the journal shrinks and still
    /// verifies, and "why was this shown" still names the video and its source, without the features.
    @Test func oldServedFeedsAreCompactedIntoSummaries() async throws {
        let dir = temporaryDirectory()
        defer {
            cleanup(dir)
            cleanup("\(dir)-backup")
        }
        var config = testConfiguration(dir)
        config.journal.segmentSizeBytes = 1 << 16
        config.journal.feedRetentionDays = 0
        let clock = TestClock(Timestamp(seconds: 1_780_000_000))
        let engine = try ReelEngine(configuration: config, clock: clock)
        let task = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
        _ = try await publishVideos(engine, count: 30)
        let viewer = try await engine.registerUser(handle: "oldviewer", region: "US", email: "o@example.org", displayName: "O")
        var sessions: [UInt64] = []
        for _ in 0..<400 {
            let s = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            _ = try await engine.feed(session: s, count: 10)
            sessions.append(s)
        }
        let firstWhy = try engine.servedFeeds(session: sessions[0])
        #expect(firstWhy.first?.items.first?.features.isEmpty == false)

        clock.advance(days: 91)
        let report = try await engine.compactServedFeeds(olderThanDays: 90)
        #expect(report.segmentsRewritten > 0 && report.eventsRewritten > 0 && report.bytesAfter < report.bytesBefore)
        let summary = try engine.servedFeeds(session: sessions[0])
        #expect(summary.first?.items.map(\.video) == firstWhy.first?.items.map(\.video))
        #expect(summary.first?.items.allSatisfy(\.features.isEmpty) == true)
        #expect(try await engine.compactServedFeeds(olderThanDays: 90).eventsRewritten == 0)
        // The chain still verifies (a backup checks it) and the engine goes on.
        _ = try Backup.create(dataDirectory: dir, destination: "\(dir)-backup")
        _ = try Backup.verify("\(dir)-backup")
        _ = try await engine.feed(session: try await engine.startSession(viewer: viewer, context: SessionContext(region: "US")))
        await engine.shutdown()
        try await task.value
    }
}
