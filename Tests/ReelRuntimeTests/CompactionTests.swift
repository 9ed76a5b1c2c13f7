import Foundation
import ReelDomain
import ReelJournal
import ReelRuntime
import ReelViews
import ReelWorkloads
import Testing

/// Journal retention: old served feeds compacted into summaries, in place, without breaking the chain.
@Suite struct CompactionTests {
    @Test func compactingServedFeedsKeepsTheChainTheEventsAndTheViews() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var config = try JournalConfiguration.sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite")
        config.segmentSize = 64 << 10
        let journal = try Journal.open(config)
        try await DomainWorkload(users: 100, creators: 10, videos: 80).write(to: journal, sessionEvents: 8_000, batch: 32)
        let before = try allEvents(journal)
        let viewsBefore = try ViewTimeTravel(journal: journal, storePath: nil).rebuild(toPosition: journal.nextPosition - 1).digest()
        let usage = try journal.diskUsage()

        // Stream reads keep decompressed frames (the frame cache): read some feed streams before compacting, so
        // that stale frames would be found afterwards if compaction did not clear them.
        let feedStreams = Array(Set(before.filter { $0.type == FeedServed.type }.map(\.stream))).sorted().prefix(20)
        for stream in feedStreams { _ = try journal.readStream(stream) }

        let report = try journal.compact(recordedBefore: Timestamp(seconds: 4e9), rewrite: FeedServed.summarizedPayload)
        #expect(report.segmentsRewritten > 0 && report.eventsRewritten > 0)
        #expect(report.bytesAfter < report.bytesBefore)
        #expect(try journal.diskUsage().segments < usage.segments)
        #expect(journal.verify().ok, "\(journal.verify().problems)")

        // Same events in the same places; only served feeds in sealed segments lost their features.
        let after = try allEvents(journal)
        #expect(after.count == before.count)
        var compacted = 0
        for (a, b) in zip(after, before) {
            #expect(a.position == b.position && a.stream == b.stream && a.sequence == b.sequence && a.type == b.type && a.recordedAt == b.recordedAt)
            if a.payload != b.payload {
                #expect(a.type == FeedServed.type)
                guard case .feedServed(let f) = try ReelEvent.decode(a), case .feedServed(let g) = try ReelEvent.decode(b) else {
                    Issue.record("not a feed")
                    continue
                }
                #expect(f.items.map(\.video) == g.items.map(\.video) && f.items.allSatisfy(\.features.isEmpty))
                compacted += 1
            }
        }
        #expect(compacted == report.eventsRewritten)
        // Stream reads see the rewritten payloads, not the frames cached before.
        var changedStreams = 0
        for stream in feedStreams {
            let read = try journal.readStream(stream)
            let current = read == after.filter { $0.stream == stream }
            #expect(current, "stream \(stream) read stale frames after compaction")
            if read != before.filter({ $0.stream == stream }) { changedStreams += 1 }
        }
        #expect(changedStreams > 0)
        // Views rebuilt from the compacted journal are the same, byte for byte.
        #expect(try ViewTimeTravel(journal: journal, storePath: nil).rebuild(toPosition: journal.nextPosition - 1).digest() == viewsBefore)
        // Idempotent, and appends go on linking to the chain.
        #expect(try journal.compact(recordedBefore: Timestamp(seconds: 4e9), rewrite: FeedServed.summarizedPayload).eventsRewritten == 0)
        try await DomainWorkload(seed: 9, users: 100, creators: 10, videos: 80).write(to: journal, sessionEvents: 3_000, batch: 32)
        #expect(journal.verify().ok)
        let head = journal.headHash
        journal.close()

        // Reopened: the anchors are found and the whole chain verifies to the same head.
        let reopened = try Journal.open(config)
        let check = reopened.verify()
        #expect(check.ok, "\(check.problems)")
        #expect(check.headHash == head)
        reopened.close()
    }

    /// A compaction stopped by a crash before its rename leaves the original segment, an anchor naming it, and
    /// a `.compacting` file: opening removes the file and the journal verifies.
    @Test func anInterruptedCompactionLeavesAValidJournal() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var config = try JournalConfiguration.sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite")
        config.segmentSize = 64 << 10
        let journal = try Journal.open(config)
        try await DomainWorkload(users: 50, creators: 5, videos: 40).write(to: journal, sessionEvents: 4_000, batch: 32)
        journal.close()
        // Simulate the crash: compact a copy, then put the original segment back under the anchor it left.
        let first = "\(dir)/journal/00000000000000000000.seg"
        let original = try Data(contentsOf: URL(fileURLWithPath: first))
        let j = try Journal.open(config)
        #expect(try j.compact(recordedBefore: Timestamp(seconds: 4e9), rewrite: FeedServed.summarizedPayload).segmentsRewritten > 0)
        j.close()
        let rewritten = try Data(contentsOf: URL(fileURLWithPath: first))
        #expect(rewritten != original)
        try original.write(to: URL(fileURLWithPath: first))
        try rewritten.write(to: URL(fileURLWithPath: first + ".compacting"))
        let reopened = try Journal.open(config)
        #expect(reopened.recovery.removedFiles.contains { $0.hasSuffix(".compacting") })
        #expect(reopened.verify().ok, "\(reopened.verify().problems)")
        // Compacting again finishes the job.
        #expect(try reopened.compact(recordedBefore: Timestamp(seconds: 4e9), rewrite: FeedServed.summarizedPayload).segmentsRewritten > 0)
        #expect(reopened.verify().ok)
        reopened.close()
    }

    private func allEvents(_ journal: Journal) throws -> [RecordedEvent] {
        var out: [RecordedEvent] = []
        var cursor = journal.events(from: 0, to: journal.nextPosition)
        while let e = try cursor.next() { out.append(e) }
        return out
    }
}
