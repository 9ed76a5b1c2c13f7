import Foundation
import ReelDomain
import ReelJournal
import ReelRuntime
@testable import ReelViews
import ReelWorkloads
import Testing

/// The parallel fold's second lane keeps its own catalogue: the same videos and sessions, with the same
/// creator, hashtags and sound, as the main catalogue, through every lifecycle event (including the ones
/// that create a row for an unknown video), whether a chunk was folded in lanes or one event at a time.
@Suite struct FoldLaneTests {
    @Test func theLaneCatalogueMatchesTheMainOne() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        try await DomainWorkload(users: 80, creators: 8, videos: 60).write(to: journal, sessionEvents: 6_000, batch: 64)
        let at = Timestamp(seconds: 1_767_225_600)
        let lifecycle: [(StreamID, ReelEvent)] = [
            (.video(900_001), .processingFailed(ProcessingFailed(video: 900_001, reason: "codec", occurredAt: at))),
            (.video(900_002), .rejected(VideoRejected(video: 900_002, reason: "policy", occurredAt: at))),
            (.video(900_003), .removed(VideoRemoved(video: 900_003, reason: "takedown", occurredAt: at))),
            (.video(900_004), .published(VideoPublished(video: 900_004, occurredAt: at))),
            (.video(3), .uploadStarted(UploadStarted(video: 3, creator: 5, byteSize: 10, occurredAt: at))),
            (.video(4), .removed(VideoRemoved(video: 4, reason: "takedown", occurredAt: at))),
        ]
        for (stream, e) in lifecycle { try await journal.append([e.newEvent(metadata: .init())], to: stream) }
        // Long chunks fold in lanes; the short tail (the lifecycle events) one event at a time.
        let store = try ViewTimeTravel(journal: journal, storePath: nil).rebuild(toPosition: journal.nextPosition - 1)
        let lane = try #require(store.lane)
        let main = store.state
        #expect(lane.videos.sortedKeys == main.videos.sortedKeys)
        for key in main.videos.sortedKeys {
            let (l, m) = (lane.videos[key]!, main.videos[key]!)
            #expect(l.creator == m.creator && l.hashtags == m.hashtags && l.sound == m.sound, "video \(key)")
        }
        #expect(lane.sessions.sortedKeys == main.sessions.sortedKeys)
        for key in main.sessions.sortedKeys { #expect(lane.sessions[key] == main.sessions[key]) }
        #expect(main.videos[900_001] != nil && main.videos[3]?.hashtags == [])
        journal.close()
    }

    /// Folding in two lanes gives every table the same rows as applying each event to every view in turn.
    @Test func aFoldInLanesEqualsOneEventAtATime() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        try await DomainWorkload(users: 120, creators: 10, videos: 80).write(to: journal, sessionEvents: 12_000, batch: 64)
        let store = try ViewTimeTravel(journal: journal, storePath: nil).rebuild(toPosition: journal.nextPosition - 1)
        #expect(store.lane != nil)
        let sequential = ViewState(search: nil)
        var cursor = journal.events(decryptPersonal: true)
        var all: [RecordedEvent] = []
        while let recorded = try cursor.next() { all.append(recorded) }
        for e in try EventCatalog.decode(all[...]) { sequential.apply(e) }
        for (a, b) in zip(store.state.tables, sequential.tables) {
            var (wa, wb) = (ByteWriter(), ByteWriter())
            a.writeCanonical(into: &wa)
            b.writeCanonical(into: &wb)
            let equal = wa.bytes == wb.bytes
            #expect(equal, "table \(a.name) differs (\(wa.bytes.count) and \(wb.bytes.count) canonical bytes)")
        }
        journal.close()
    }

    /// The search index writes only the last change of each row per checkpoint: the same rows as writing
    /// every change in turn.
    @Test func searchChangesCoalesceToTheLastOfEachRow() {
        typealias Doc = SearchIndex.Document
        let a = Doc(title: "a", body: "x")
        let changes: [(rowid: Int64, kind: SearchIndex.Kind, key: UInt64, change: SearchIndex.Change)] = [
            (1, .user, 1, .upsert(a)), (2, .hashtag, 2, .upsert(Doc(title: "t", body: ""))), (1, .user, 1, .retitle("b")),
            (3, .video, 3, .upsert(a)), (3, .video, 3, .delete), (3, .video, 3, .retitle("c")),
            (2, .hashtag, 2, .upsert(Doc(title: "t", body: ""))), (4, .user, 4, .retitle("d")), (4, .user, 4, .retitle("e")),
        ]
        let out = SearchIndex.coalesced(changes)
        #expect(out.map(\.rowid) == [1, 2, 3, 4])
        guard case .upsert(let d1) = out[0].change else { return #expect(Bool(false)) }
        #expect(d1 == Doc(title: "b", body: "x"))
        guard case .delete = out[2].change else { return #expect(Bool(false)) }
        guard case .retitle("e") = out[3].change else { return #expect(Bool(false)) }
    }

    /// The one-pass top-k of `trending` equals sorting every row, for any limit and region.
    @Test func trendingTopKEqualsAFullSort() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        try await DomainWorkload(users: 80, creators: 8, videos: 60).write(to: journal, sessionEvents: 6_000, batch: 64)
        let store = try ViewTimeTravel(journal: journal, storePath: nil).rebuild(toPosition: journal.nextPosition - 1)
        let table = store.state.trendingVideos
        let now = Timestamp(seconds: 1_767_225_600 + 3_600)
        let regions = Set(table.sortedKeys.map { UInt16($0 >> 48) })
        #expect(regions.count > 1)
        for region in regions {
            for daily in [false, true] {
                var all: [(id: UInt64, score: Double)] = []
                for key in table.sortedKeys where UInt16(key >> 48) == region {
                    let v = table[key]!.value(atMillis: now.milliseconds)
                    all.append((key & 0xFFFF_FFFF_FFFF, daily ? v.day : v.hour))
                }
                all.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
                for limit in [1, 5, 50, 100_000] {
                    let got = store.trending(table, region: region, at: now, daily: daily, limit: limit)
                    #expect(got.map(\.id) == all.prefix(limit).map(\.id) && got.map(\.score) == all.prefix(limit).map(\.score))
                }
            }
        }
        journal.close()
    }
}
