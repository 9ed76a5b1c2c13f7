import Foundation
import ReelDomain
import ReelJournal
import Testing

@Suite struct SnapshotTests {
    @Test func newestAtOrBeforeAPositionOrTimeInTheReadableSchema() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let store = try SnapshotStore(path: "\(dir)/s.sqlite")
        let s = StreamID.session(5)
        for seq in stride(from: UInt64(100), through: 500, by: 100) {
            try store.save(
                Snapshot(stream: s, sequence: seq, position: seq * 10, recordedAt: Timestamp(seconds: Double(seq)), schemaVersion: 1, state: [UInt8(seq / 100)]))
        }
        try store.save(Snapshot(stream: s, sequence: 600, position: 6000, recordedAt: Timestamp(seconds: 600), schemaVersion: 2, state: [6]))
        #expect(try store.newest(of: s, schemaVersion: 1)?.sequence == 500)
        #expect(try store.newest(of: s, schemaVersion: 2)?.sequence == 600)
        #expect(try store.newest(of: s, schemaVersion: 1, atOrBefore: 3500)?.sequence == 300)
        #expect(try store.newest(of: s, schemaVersion: 1, atOrBefore: 999) == nil)
        #expect(try store.newest(of: s, schemaVersion: 1, atOrBeforeTime: Timestamp(seconds: 250))?.state == [2])
        #expect(try store.newest(of: s, schemaVersion: 3) == nil, "a version the code does not read is ignored")
        #expect(try store.newest(of: .session(6), schemaVersion: 1) == nil)
    }

    @Test func retentionIsDenseRecentlyAndSparseLongAgo() {
        let hour: Int64 = 3_600_000_000
        let now: Int64 = 1000 * 24 * hour
        // One snapshot every 10 minutes for 60 days.
        let snaps = (0..<(60 * 24 * 6)).map { i in (sequence: UInt64(i), recordedAt: now - 60 * 24 * hour + Int64(i) * hour / 6) }
        let keep = SnapshotRetention.standard.sequencesToKeep(snaps, now: now)
        let ages = snaps.filter { keep.contains($0.sequence) }.map { now - $0.recordedAt }
        #expect(keep.contains(snaps.last!.sequence))
        #expect(ages.filter { $0 < hour }.count == 5, "all of the last hour (one every 10 minutes)")
        let lastDay = ages.filter { $0 >= hour && $0 < 24 * hour }.count
        #expect(lastDay >= 22 && lastDay <= 25, "about one an hour for a day, got \(lastDay)")
        let lastMonth = ages.filter { $0 >= 24 * hour && $0 < 30 * 24 * hour }.count
        #expect(lastMonth >= 28 && lastMonth <= 31, "about one a day for a month, got \(lastMonth)")
        #expect(keep.count < 120, "bounded: \(keep.count) of \(snaps.count)")
    }

    @Test func retentionDeletesFromTheStore() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let store = try SnapshotStore(path: "\(dir)/s.sqlite")
        let day = 86_400.0
        for i in 0..<100 {
            try store.save(
                Snapshot(stream: .video(1), sequence: UInt64(i), position: UInt64(i), recordedAt: Timestamp(seconds: Double(i) * day), schemaVersion: 1, state: []))
        }
        let deleted = try store.applyRetention(now: Timestamp(seconds: 100 * day))
        #expect(deleted > 50)
        #expect(try store.count() == 100 - deleted)
        #expect(try store.newest(of: .video(1), schemaVersion: 1)?.sequence == 99)
    }
}
