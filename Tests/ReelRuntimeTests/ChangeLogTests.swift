import Foundation
import GRDB
import PropertyBased
import ReelJournal
import ReelRuntime
@testable import ReelViews
import ReelWorkloads
import Testing

/// The radix sort behind every checkpoint's and digest's key order.
@Suite struct KeySortTests {
    @Test func radixOrderIsTheAscendingOrder() async {
        // Keys composed like the views' (a varying top byte or none, small or full-width ids), short and long.
        let key = zip(Gen.uint64(in: 0...3), Gen.uint64(in: 0...5_000), Gen.uint64()).map { kind, small, wide in
            kind == 0 ? wide : kind << 56 | (kind == 3 ? wide & 0x00FF_FFFF_FFFF_FFFF : small)
        }
        await propertyCheck(count: 200, input: key.array(of: 0...3_000)) { keys in
            #expect(KeySort.ascending(keys) == keys.sorted())
            #expect(KeySort.ascendingUnique(keys) == Array(Set(keys)).sorted())
        }
        let same = [UInt64](repeating: 42, count: 1_000)
        #expect(KeySort.ascending(same) == same)
    }
}

/// The change log behind each checkpoint: repeats collapse, the log stays bounded without checkpoints, and a
/// failed checkpoint's keys come back.
@Suite struct ChangeLogTests {
    @Test func repeatedChangesAreOneKeyAndTheLogStaysBounded() {
        let table = KeyedTable<DecayedScore>("trending.video")
        for i in 0..<300_000 {
            table.update(UInt64(i % 3) * 1_000_003, initial: DecayedScore()) { $0.hour += 1 }
        }
        #expect(table.changeLogCount < 1 << 16 + 1)
        #expect(table.dirtyCount == 3)
        table.remove(1_000_003)
        let taken = table.takeBlocks(complete: false)
        #expect(taken.keys == [0, 1_000_003, 2_000_006])
        #expect(table.dirtyCount == 0)
        table.markDirty(taken.keys)
        table.set(5, DecayedScore())
        #expect(table.takeBlocks(complete: false).keys == [0, 5, 1_000_003, 2_000_006])
    }
}

extension ChangeLogTests {
    /// A store on disk writes its changes into the history; one in memory keeps none (nothing could read it
    /// later) and tracks no changes, and both hold the same views.
    /// A projection whose checkpoints are far apart checkpoints once its first catch-up reaches the head, so
    /// a crash loop does not re-read the whole journal at every start (issue 24, item 16).
    @Test func aLongCatchUpIsCheckpointedAtTheHead() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        try await DomainWorkload(users: 40, creators: 4, videos: 30).write(to: journal, sessionEvents: 12_000, batch: 64)
        var policy = ProjectionRunner<ViewStore>.Policy()
        policy.checkpointEvents = 10_000_000
        policy.checkpointInterval = .seconds(3_600)
        let store = try ViewStore(path: "\(dir)/views.sqlite")
        let runner = ProjectionRunner(journal: journal, projection: store, policy: policy)
        runner.start()
        #expect(runner.waitUntil(folded: journal.nextPosition - 1))
        for _ in 0..<200 where try store.checkpointPositions().isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try store.checkpointPositions() == [journal.nextPosition], "checkpointed at the head, not an hour later")
        try runner.stop()
        journal.close()
    }

    @Test func onlyAStoreOnDiskKeepsHistory() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        try await DomainWorkload(users: 40, creators: 4, videos: 30).write(to: journal, sessionEvents: 2_000, batch: 64)
        let onDisk = try ViewStore(path: "\(dir)/views.sqlite")
        let inMemory = try ViewStore(path: nil)
        for store in [onDisk, inMemory] {
            let runner = ProjectionRunner(journal: journal, projection: store)
            try runner.catchUp()
            #expect(store.state.tables.allSatisfy { $0.tracksDirty } == (store === onDisk))
            try runner.checkpoint()
        }
        let historyRows = { (store: ViewStore) in try store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM view_history") ?? 0 } }
        #expect(try historyRows(onDisk) > 0)
        #expect(try historyRows(inMemory) == 0)
        #expect(try onDisk.digest() == inMemory.digest())
    }
}
