import Foundation
import GRDB
import PropertyBased
import ReelDomain
import ReelJournal
import ReelRuntime
@testable import ReelViews
import ReelWorkloads
import Testing

/// The block history of `views.sqlite`: its codec, the peek that skips events during per-key replays, and
/// retention that merges checkpoints without changing any answer.
@Suite struct HistoryTests {
    /// Any ascending run of keys with values or deletions comes back entry for entry, across block
    /// boundaries, and every key (present or not) is found as written.
    @Test func historyBlocksRoundTrip() async {
        let gen = zip(Gen.uint64(in: 0...5_000), Gen.uint8().array(of: 0...300).optional).array(of: 0...400)
        await propertyCheck(count: 100, input: gen) { raw in
            var byKey: [UInt64: [UInt8]?] = [:]
            for (k, v) in raw { byKey[k] = .some(v) }
            let entries = byKey.keys.sorted().map { ($0, byKey[$0]!) }
            var builder = HistoryBlock.Builder()
            for (k, v) in entries { builder.appendRaw(k, v) }
            let blocks = builder.finish()
            #expect(blocks.allSatisfy { !$0.bytes.isEmpty })
            var decoded: [(UInt64, [UInt8]?)] = []
            for b in blocks { decoded += try! HistoryBlock.entries(b.bytes, firstKey: b.firstKey) }
            #expect(decoded.map(\.0) == entries.map(\.0))
            #expect(decoded.map(\.1) == entries.map(\.1))
            for (k, v) in entries.prefix(50) {
                let block = blocks.last { $0.firstKey <= k }!
                let found = try! HistoryBlock.find(k, in: block.bytes, firstKey: block.firstKey)
                #expect(found == (v.map { .value($0) } ?? .deleted))
                if byKey[k + 1] == nil {
                    #expect(try! HistoryBlock.find(k + 1, in: block.bytes, firstKey: block.firstKey) == .absent)
                }
            }
        }
    }

    @Test func aCorruptBlockIsAnErrorNotATrap() {
        var builder = HistoryBlock.Builder()
        builder.appendRaw(7, [1, 2, 3])
        builder.appendRaw(9, nil)
        let block = builder.finish()[0]
        #expect(throws: JournalError.self) { try HistoryBlock.entries(Array(block.bytes.dropLast(4)) + [0x10, 0, 0, 0], firstKey: 7) }
        #expect(throws: JournalError.self) { try HistoryBlock.entries([0x00, 1, 0, 0, 0, 5, 0x00, 0xFF, 0xFF, 0xFF, 0xFF], firstKey: 7) }
    }

    /// The peek reads the same ids a full decode does, for every type it covers.
    @Test func peekedSubjectsEqualDecodedOnes() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        try await DomainWorkload(users: 50, creators: 5, videos: 40).write(to: journal, sessionEvents: 3_000, batch: 64)
        var cursor = journal.events(from: 0, to: journal.nextPosition, decryptPersonal: false)
        var peeked = 0
        while let recorded = try cursor.next() {
            guard let s = EventPeek.subjects(recorded) else { continue }
            let e = try #require(try ReelEvent.decode(recorded))
            let full = ViewState.subjects(e)
            #expect(s.person == full.person && s.video == full.video && s.session == full.session, "\(recorded.type)")
            peeked += 1
        }
        #expect(peeked > 2_000)
        journal.close()
    }

    /// Retention thins the checkpoints (here: all but every third, then all but the newest); the store
    /// reopens to the same state, and per-key answers at any position still equal a replay to it.
    @Test func retentionKeepsEveryAnswer() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        try await DomainWorkload(users: 150, creators: 15, videos: 120).write(to: journal, sessionEvents: 15_000, batch: 64)
        var policy = ProjectionRunner<ViewStore>.Policy()
        policy.checkpointEvents = 1_000
        policy.chunk = 250
        let path = "\(dir)/views.sqlite"
        let store = try ViewStore(path: path)
        let runner = ProjectionRunner(journal: journal, projection: store, policy: policy)
        try runner.catchUp()
        try runner.checkpoint()
        let live = try store.canonicalBytes()
        let travel = ViewTimeTravel(journal: journal, storePath: path)
        let tables = ["counters.video", "counters.person", "interest.longTerm", "seen", "social.following", "trending.video", "catalogue.session"]
        func check(_ round: Int) throws {
            var g = SplitMix64(seed: UInt64(round))
            for i in 0..<21 {
                let position = g.next() % journal.nextPosition
                let table = tables[i % tables.count]
                var key = 1 + g.next() % (table.hasSuffix("video") ? 40 : 50)
                if table == "trending.video" { key = ViewKey.regional(0, key) }
                if table == "catalogue.session" { key = 1 + g.next() % 600 }
                let expected = try travel.rebuild(toPosition: position).json(table: table, key: key)
                #expect(try travel.value(table: table, key: key, atPosition: position) == expected, "\(table) \(key) at \(position)")
            }
        }
        try check(1)
        let before = try store.checkpointPositions()
        #expect(before.count > 12)
        let thinned = try store.applyRetention { log in Set(log.enumerated().filter { $0.offset % 3 == 0 }.map(\.element.position)) }
        #expect(thinned > 0)
        #expect(try ViewStore(path: path).canonicalBytes() == live)
        try check(2)
        try store.applyRetention { _ in [] }
        #expect(try store.checkpointPositions().count == 1)
        #expect(try ViewStore(path: path).canonicalBytes() == live)
        try check(3)
        journal.close()
    }
}
