import GRDB
import ReelDomain
import ReelJournal

/// Full-text search over captions, hashtags, creator names, user handles and sounds (SQLite FTS5, BM25
/// ranking, prefix search). The fold records changes in memory; `flush` writes them, inside the view store's
/// checkpoint transaction or before a query. Rows have deterministic ids (kind in the top byte, then the id),
/// and writes are upserts and deletes by id, so replaying events past a checkpoint converges to the same rows.
final class SearchIndex {
    enum Kind: Int64, CaseIterable, Sendable {
        case video = 1
        case user = 2
        case creator = 3
        case sound = 4
        case hashtag = 5
        init?(name: String) {
            switch name {
            case "video": self = .video
            case "user": self = .user
            case "creator": self = .creator
            case "sound": self = .sound
            case "hashtag": self = .hashtag
            default: return nil
            }
        }
    }

    struct Document: Equatable {
        var title: String
        var body: String
    }

    enum Change {
        case upsert(Document)
        case delete
        /// A new title that keeps the body (a handle change without a new display name).
        case retitle(String)
    }

    private var pending: [(rowid: Int64, kind: Kind, key: UInt64, change: Change)] = []
    /// Set when personal data was deleted: the flush then rewrites the index and the WAL so no old copy stays.
    private(set) var needsPurge = false

    static let schema = """
        CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(
            kind UNINDEXED, key UNINDEXED, title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
        CREATE VIRTUAL TABLE IF NOT EXISTS search_vocab USING fts5vocab(search, 'row');
        """

    static func rowid(_ kind: Kind, _ key: UInt64) -> Int64 { kind.rawValue << 56 | Int64(key & 0x00FF_FFFF_FFFF_FFFF) }

    private func put(_ kind: Kind, _ key: UInt64, _ doc: Document?) {
        pending.append((Self.rowid(kind, key), kind, key, doc.map(Change.upsert) ?? .delete))
    }

    func apply(_ event: ReelEvent, state: ViewState) {
        switch event {
        case .userRegistered(let e, let profile):
            put(.user, e.user, Document(title: e.handle, body: profile?.displayName ?? ""))
        case .userProfileChanged(let e, let profile):
            // A change without a new personal part keeps the indexed display name.
            if let profile {
                put(.user, e.user, Document(title: e.handle, body: profile.displayName))
            } else {
                pending.append((Self.rowid(.user, e.user), .user, e.user, .retitle(e.handle)))
            }
        case .userErased(let e):
            put(.user, e.user, nil)
            put(.creator, e.user, nil)
            // Their videos' documents hold their caption and handle; their sounds' documents their handle.
            for video in state.videos(by: e.user) {
                put(.video, video, nil)
                if let sound = state.videos[video]?.sound, sound != 0 {
                    put(.sound, sound, Document(title: "sound \(sound)", body: "original sound"))
                }
            }
            needsPurge = true
        case .creatorProfileUpdated(let e):
            let handle = state.users[e.creator]?.handle ?? ""
            put(.creator, e.creator, Document(title: e.name, body: "@\(handle) \(e.bio)"))
        case .published(let e): indexPublished(e.video, state: state)
        // Back from a takedown: the catalogue kept its caption (an erased creator's videos never come back).
        case .restored(let e): indexPublished(e.video, state: state)
        case .removed(let e): put(.video, e.video, nil)
        case .rejected(let e): put(.video, e.video, nil)
        default: return
        }
    }

    private func indexPublished(_ video: UInt64, state: ViewState) {
        guard let v = state.videos[video] else { return }
        let creator = state.creators[v.creator]?.name ?? ""
        let handle = state.users[v.creator]?.handle ?? ""
        let tags = v.hashtags.map { "#\($0)" }.joined(separator: " ")
        put(.video, video, Document(title: v.caption, body: "\(tags) \(creator) @\(handle)"))
        // Whoever publishes is a creator, named by their profile if they wrote one, else by their handle.
        let profile = state.creators[v.creator]
        put(.creator, v.creator, Document(title: profile?.name ?? handle, body: "@\(handle) \(profile?.bio ?? "")"))
        for tag in v.hashtags { put(.hashtag, ViewKey.hashtag(tag), Document(title: tag, body: "")) }
        if v.sound != 0 { put(.sound, v.sound, Document(title: "sound \(v.sound)", body: "original sound @\(handle)")) }
    }

    var hasPending: Bool { !pending.isEmpty || needsPurge }

    /// Writes pending changes in the caller's transaction.
    func flush(_ db: Database) throws {
        guard !pending.isEmpty else { return }
        let delete = try db.cachedStatement(sql: "DELETE FROM search WHERE rowid = ?")
        let insert = try db.cachedStatement(
            sql: "INSERT INTO search (rowid, kind, key, title, body) VALUES (?, ?, ?, ?, ?)")
        let retitle = try db.cachedStatement(sql: "UPDATE search SET title = ? WHERE rowid = ?")
        // In rowid order: FTS5 flushes its pending terms into a new segment whenever a rowid does not ascend.
        for p in Self.coalesced(pending).sorted(by: { $0.rowid < $1.rowid }) {
            switch p.change {
            case .upsert(let doc):
                try delete.execute(arguments: [p.rowid])
                try insert.execute(arguments: [p.rowid, p.kind.rawValue, Int64(bitPattern: p.key), doc.title, doc.body])
            case .delete: try delete.execute(arguments: [p.rowid])
            case .retitle(let title): try retitle.execute(arguments: [title, p.rowid])
            }
        }
    }

    /// The last change of each row, in the order rows first changed: what writing every change in turn would
    /// leave. Every publish re-upserts its hashtags' and sound's documents, and an FTS5 delete re-tokenizes
    /// the old document, so writing each change made the catalogue's checkpoints the slowest of a rebuild.
    static func coalesced(_ changes: [(rowid: Int64, kind: Kind, key: UInt64, change: Change)]) -> [(
        rowid: Int64, kind: Kind, key: UInt64, change: Change
    )] {
        var out: [(rowid: Int64, kind: Kind, key: UInt64, change: Change)] = []
        var index: [Int64: Int] = [:]
        for c in changes {
            guard let i = index[c.rowid] else {
                index[c.rowid] = out.count
                out.append(c)
                continue
            }
            switch (out[i].change, c.change) {
            case (.upsert(var doc), .retitle(let title)):
                doc.title = title
                out[i].change = .upsert(doc)
            case (.delete, .retitle): break  // an update of a missing row changes nothing
            case (.retitle, .retitle): out[i].change = c.change
            default: out[i].change = c.change  // an upsert or a delete replaces whatever came before
            }
        }
        return out
    }

    /// The transaction that flushed (and maybe purged) committed: forget what it wrote. Until then a failed
    /// commit (a full disk) leaves the changes pending for the next try.
    func didCommit(purged: Bool) {
        pending.removeAll(keepingCapacity: true)
        if purged { needsPurge = false }
    }

    /// After an erasure: merge the FTS5 segments so deleted terms are gone, not just marked deleted (with
    /// `secure_delete` on, freed pages are zeroed). The store then truncates the WAL.
    func purgeIfNeeded(_ db: Database) throws -> Bool {
        guard needsPurge else { return false }
        try db.execute(sql: "INSERT INTO search(search) VALUES ('optimize')")
        return true
    }

    struct Hit: Sendable, Hashable {
        var kind: Kind
        var key: UInt64
        var title: String
        var score: Double
    }

    /// BM25-ranked hits (title weighs twice the body); every word matches as a prefix.
    static func query(_ db: Database, text: String, kind: Kind?, offset: Int, limit: Int) throws -> [Hit] {
        let words = text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "_" }
        guard !words.isEmpty else { return [] }
        let match = words.map { "\"\($0.replacingOccurrences(of: "\"", with: ""))\"*" }.joined(separator: " ")
        var sql = "SELECT kind, key, title, bm25(search, 0, 0, 2.0, 1.0) AS score FROM search WHERE search MATCH ?"
        var args: [any DatabaseValueConvertible] = [match]
        if let kind {
            sql += " AND kind = ?"
            args.append(kind.rawValue)
        }
        sql += " ORDER BY score, rowid LIMIT ? OFFSET ?"
        args += [limit, offset]
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).compactMap { row in
            guard let kind = Kind(rawValue: row[0]) else { return nil }
            return Hit(kind: kind, key: UInt64(bitPattern: row[1]), title: row[2], score: -(row[3] as Double))
        }
    }

    /// Canonical bytes of the index: every row by id, then the vocabulary (term, documents, occurrences), which
    /// is what the index says independent of how FTS5 laid out its segments.
    static func writeCanonical(_ db: Database, into w: inout ByteWriter) throws {
        w.writeString("search")
        for row in try Row.fetchAll(db, sql: "SELECT rowid, title, body FROM search ORDER BY rowid") {
            w.writeVarint(UInt64(bitPattern: row[0]))
            w.writeString(row[1])
            w.writeString(row[2])
        }
        w.writeString("search.vocabulary")
        for row in try Row.fetchAll(db, sql: "SELECT term, doc, cnt FROM search_vocab ORDER BY term") {
            w.writeString(row[0])
            w.writeVarint(UInt64(row[1] as Int64))
            w.writeVarint(UInt64(row[2] as Int64))
        }
    }
}
