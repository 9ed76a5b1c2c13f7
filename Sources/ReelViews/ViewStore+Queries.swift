import GRDB
import ReelDomain
import ReelJournal

extension ViewStore {
    public struct SearchHit: Sendable, Hashable {
        public var kind: String
        public var id: UInt64
        public var title: String
        public var score: Double
    }

    /// Full-text search; `kind` is video, user, creator, sound or hashtag (nil: all). Results are BM25-ranked,
    /// every word matching as a prefix; page with `offset`.
    public func search(_ text: String, kind: String? = nil, offset: Int = 0, limit: Int = 20) throws -> [SearchHit] {
        let k: SearchIndex.Kind?
        if let kind {
            guard let parsed = SearchIndex.Kind(name: kind) else {
                throw JournalError(.invalidArgument, "unknown search type \"\(kind)\": use video, user, creator, sound or hashtag")
            }
            k = parsed
        } else {
            k = nil
        }
        try flushSearch()
        return try db.read { db in
            try SearchIndex.query(db, text: text, kind: k, offset: offset, limit: limit).map { h in
                let name: String =
                    switch h.kind {
                    case .video: "video"
                    case .user: "user"
                    case .creator: "creator"
                    case .sound: "sound"
                    case .hashtag: "hashtag"
                    }
                return SearchHit(kind: name, id: h.key, title: h.title, score: h.score)
            }
        }
    }

    /// The `limit` highest trending keys of a table in a region (0: global) by the one-hour (or one-day) score
    /// at time `now`. Ties go to the smaller id, so the order is deterministic.
    public func trending(_ table: KeyedTable<DecayedScore>, region: UInt16, at now: Timestamp, daily: Bool = false, limit: Int = 20)
        -> [(id: UInt64, score: Double)]
    {
        guard limit > 0 else { return [] }
        let t = now.milliseconds
        // One pass keeping the best `limit` in order (sorting every key of a table of millions per request was
        // the cost); the order is total (score, then id), so the answer does not depend on the pass's order.
        var best: [(id: UInt64, score: Double)] = []
        best.reserveCapacity(limit + 1)
        func precedes(_ a: (id: UInt64, score: Double), _ b: (id: UInt64, score: Double)) -> Bool {
            a.score != b.score ? a.score > b.score : a.id < b.id
        }
        table.forEachUnordered { key, s in
            guard UInt16(key >> 48) == region else { return }
            let v = s.value(atMillis: t)
            let entry = (id: key & 0xFFFF_FFFF_FFFF, score: daily ? v.day : v.hour)
            if best.count == limit, !precedes(entry, best[limit - 1]) { return }
            var lo = 0
            var hi = best.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if precedes(best[mid], entry) { lo = mid + 1 } else { hi = mid }
            }
            best.insert(entry, at: lo)
            if best.count > limit { best.removeLast() }
        }
        return best
    }

    /// One row of any table as JSON (for audits), or nil when the key has none.
    public func json(table name: String, key: UInt64) -> JSONValue? {
        guard let t = state.table(named: name), let bytes = t.encodedValue(key) else { return nil }
        return Self.render(table: name, bytes)
    }

    public static var tableNames: [String] { ViewState(search: nil).tables.map(\.name) }

    static func render(table name: String, _ bytes: [UInt8]) -> JSONValue? {
        let probe = ViewState(search: nil)
        guard let t = probe.table(named: name) else { return nil }
        try? t.loadEncoded(0, bytes)
        return t.jsonValue(0)
    }
}

extension AnyKeyedTable {
    func jsonValue(_ key: UInt64) -> JSONValue? { (self as? any JSONRenderable)?.renderJSON(key) }
}

protocol JSONRenderable { func renderJSON(_ key: UInt64) -> JSONValue? }
extension KeyedTable: JSONRenderable {
    func renderJSON(_ key: UInt64) -> JSONValue? { self[key]?.json }
}
