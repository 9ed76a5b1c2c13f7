import Foundation
import GRDB
import ReelDomain
import ReelJournal

/// Views at past moments.
///
/// Per key (one video's counters, one user's interest, one creator's followers at time T): start from the
/// newest checkpoint at or before the moment, fault in only the rows the replay touches from the checkpoint
/// history, and replay the journal from that checkpoint to the moment applying only the events about the key
/// plus the structural ones (sessions, video lifecycle, accounts) that other views read; engagement about
/// other keys is skipped from its leading ids, undecoded (`EventPeek`). The cost is bounded by
/// the checkpoint interval, not by the journal's length. Whole views: `rebuild(to:)` folds from zero.
public struct ViewTimeTravel {
    public let journal: Journal
    /// The live store's file, whose history answers per-key questions (nil: replay from zero).
    public let storePath: String?

    public init(journal: Journal, storePath: String?) {
        self.journal = journal
        self.storePath = storePath
    }

    /// What the key is: which ids of an event make it relevant.
    enum KeySpace { case video, person, session, regionalVideo, catalogue, everything }

    static func keySpace(of table: String) -> KeySpace {
        switch table {
        case "catalogue.video", "counters.video": .video
        case "catalogue.user", "catalogue.creator", "counters.person", "interest.longTerm", "interest.session", "seen",
            "social.followers", "social.following", "social.blocked", "social.likes", "social.saves", "counters.authoredComments":
            .person
        case "catalogue.session": .session
        case "trending.video": .regionalVideo
        case "catalogue.hashtag": .catalogue
        default: .everything
        }
    }

    /// The row of `table` for `key` once every event at or before `position` was folded (JSON), or nil.
    public func value(table: String, key: UInt64, atPosition position: UInt64) throws -> JSONValue? {
        guard ViewStore.tableNames.contains(table) else {
            throw JournalError(.invalidArgument, "unknown view table \"\(table)\"; known: \(ViewStore.tableNames.joined(separator: ", "))")
        }
        let end = min(position &+ 1, journal.nextPosition)
        let state = ViewState(search: nil)
        var start: UInt64 = 0
        if let storePath, FileManager.default.fileExists(atPath: storePath) {
            var config = Configuration()
            config.readonly = true
            let db = try DatabaseQueue(path: storePath, configuration: config)
            // The checkpoints a key's value at `start` may sit in: the newest at or before the moment, back to
            // the complete one below it (which has every live row).
            let searched: [Int64] = try db.read { db in
                var positions: [Int64] = []
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT position, complete FROM checkpoint_log WHERE position <= ? ORDER BY position DESC", arguments: [Int64(end)])
                while let row = try rows.next() {
                    positions.append(row[0])
                    if row[1] as Int64 == 1 { break }
                }
                return positions
            }
            start = UInt64(searched.first ?? 0)
            if !searched.isEmpty {
                let history = HistoryReader(db: db, searched: searched)
                for (index, t) in state.tables.enumerated() {
                    t.setLoader { key in try? history.value(table: index, key: key) }
                }
            }
        }
        let space = Self.keySpace(of: table)
        let views = ViewState.Views.needed(for: table)
        var cursor = journal.events(from: start, to: end, decryptPersonal: true)
        while var recorded = try cursor.next() {
            // The bulk of the journal is engagement about other keys: skip it before decoding when its leading
            // ids say so.
            if let s = EventPeek.subjects(recorded), !Self.isAbout(s, key: key, space) { continue }
            try EventCatalog.upcasters.upcast(&recorded)
            guard let e = try ReelEvent.decode(recorded) else { continue }
            if ViewState.isStructural(e) || Self.isAbout(e, key: key, space) { state.apply(e, only: views) }
        }
        guard let t = state.table(named: table), let bytes = t.encodedValue(key) else { return nil }
        return ViewStore.render(table: table, bytes)
    }

    /// The peeked types (watched, skipped, served) are never structural, so skipping them is safe when they
    /// are about another key.
    static func isAbout(_ s: EventPeek.Subjects, key: UInt64, _ space: KeySpace) -> Bool {
        switch space {
        case .video: return s.video == key
        case .person: return s.person == key
        case .session: return s.session == key
        case .regionalVideo: return s.video == key & 0xFFFF_FFFF_FFFF
        case .catalogue: return false
        case .everything: return true
        }
    }

    static func isAbout(_ e: ReelEvent, key: UInt64, _ space: KeySpace) -> Bool {
        let s = ViewState.subjects(e)
        switch space {
        case .video: return s.video == key
        case .person: return s.person == key || s.creator == key
        case .session: return s.session == key
        case .regionalVideo: return s.video == key & 0xFFFF_FFFF_FFFF
        case .catalogue: return false
        case .everything: return true
        }
    }

    /// Every view rebuilt from zero to just after `position`, in memory.
    public func rebuild(toPosition position: UInt64) throws -> ViewStore {
        let store = try ViewStore(path: nil)
        var cursor = journal.events(from: 0, to: min(position &+ 1, journal.nextPosition), decryptPersonal: true)
        var chunk: [RecordedEvent] = []
        while let e = try cursor.next() {
            chunk.append(e)
            if chunk.count == 4096 {
                try store.apply(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try store.apply(chunk)
        return store
    }
}
