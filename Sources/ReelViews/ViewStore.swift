import Crypto
import Foundation
import GRDB
import Logging
import ReelDomain
import ReelJournal
import ReelRuntime

/// All views as one projection, persisted in one SQLite file (`views.sqlite`): each table's current rows,
/// a per-key history at every checkpoint (for cheap time travel), the checkpoint log, the FTS5 search index
/// and the position, all written in one transaction so a checkpoint is atomic.
public final class ViewStore: Projection {
    /// Bump when the tables' encodings or the fold change: a store of another version is rebuilt from events.
    public static let schemaVersion: Int64 = 1

    public let state: ViewState
    public private(set) var nextPosition: UInt64 = 0
    /// What entities read while deciding; updated as the catalogue changes, readable from any thread.
    public let lookup = CatalogueLookup()
    let db: DatabaseQueue
    private let logger = Logger(label: "reel.views")

    /// Opens (or creates) the store at `path`; nil keeps it in memory (rebuilds to a moment, benchmarks).
    public init(path: String?) throws {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        if let path {
            db = try DatabaseQueue(path: path, configuration: config)
            try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL") }
        } else {
            db = try DatabaseQueue(configuration: config)
        }
        state = ViewState(search: SearchIndex())
        try db.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            let version = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'schemaVersion'")
            if let version, version != Self.schemaVersion {
                logger.notice("views were written by schema \(version); rebuilding from the journal with schema \(Self.schemaVersion)")
                for t in ["view_row", "view_history", "checkpoint_log", "search", "search_vocab"] {
                    try db.execute(sql: "DROP TABLE IF EXISTS \(t)")
                }
                try db.execute(sql: "DELETE FROM meta")
            }
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS view_row (tbl TEXT NOT NULL, key INTEGER NOT NULL, value BLOB NOT NULL,
                        PRIMARY KEY (tbl, key)) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS view_history (tbl TEXT NOT NULL, key INTEGER NOT NULL, position INTEGER NOT NULL,
                        value BLOB, PRIMARY KEY (tbl, key, position)) WITHOUT ROWID;
                    CREATE INDEX IF NOT EXISTS view_history_position ON view_history (position);
                    CREATE TABLE IF NOT EXISTS checkpoint_log (position INTEGER PRIMARY KEY, recorded_at INTEGER NOT NULL);
                    INSERT OR IGNORE INTO meta VALUES ('schemaVersion', \(Self.schemaVersion)), ('nextPosition', 0);
                    """)
            try db.execute(sql: SearchIndex.schema)
        }
        try load()
        state.onCatalogueChange = { [lookup, state] event in lookup.update(event, state: state) }
    }

    private func load() throws {
        let tables = Dictionary(uniqueKeysWithValues: state.tables.map { ($0.name, $0) })
        try db.read { db in
            nextPosition = UInt64(try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'nextPosition'") ?? 0)
            let rows = try Row.fetchCursor(db, sql: "SELECT tbl, key, value FROM view_row")
            while let row = try rows.next() {
                guard let t = tables[row[0]] else { continue }
                try t.loadEncoded(UInt64(bitPattern: row[1]), Array(row[2] as Data))
            }
        }
        lookup.reload(from: state)
    }

    public func apply(_ events: [RecordedEvent]) throws {
        try EventCatalog.fold(events, next: &nextPosition) { state.apply($0) }
    }

    /// A failed checkpoint (a full disk) changes nothing on disk and leaves every change pending, so the
    /// next one writes it: the rows taken for writing are marked dirty again.
    public func checkpoint(recordedAt: Timestamp) throws {
        var purged = false
        var taken: [(any AnyKeyedTable, [UInt64])] = []
        do {
            try write(recordedAt: recordedAt, purged: &purged, taken: &taken)
        } catch {
            for (table, keys) in taken { table.markDirty(keys) }
            throw error
        }
        state.search?.didCommit(purged: purged)
        // Old page images of erased data may still sit in the write-ahead log: fold it in and truncate it.
        if purged { try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } }
    }

    private func write(recordedAt: Timestamp, purged: inout Bool, taken: inout [(any AnyKeyedTable, [UInt64])]) throws {
        try db.write { db in
            let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO view_row VALUES (?, ?, ?)")
            let delete = try db.cachedStatement(sql: "DELETE FROM view_row WHERE tbl = ? AND key = ?")
            let history = try db.cachedStatement(sql: "INSERT OR REPLACE INTO view_history VALUES (?, ?, ?, ?)")
            let position = Int64(bitPattern: nextPosition)
            for t in state.tables {
                let dirty = t.takeDirtyEncoded()
                taken.append((t, dirty.map(\.0)))
                for (key, value) in dirty {
                    let k = Int64(bitPattern: key)
                    if let value {
                        try upsert.execute(arguments: [t.name, k, Data(value)])
                    } else {
                        try delete.execute(arguments: [t.name, k])
                    }
                    try history.execute(arguments: [t.name, k, position, value.map { Data($0) }])
                }
            }
            try state.search?.flush(db)
            purged = try state.search?.purgeIfNeeded(db) ?? false
            try db.execute(sql: "INSERT OR REPLACE INTO checkpoint_log VALUES (?, ?)", arguments: [position, recordedAt.microseconds])
            try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'nextPosition'", arguments: [position])
        }
    }

    /// Writes pending search changes so a query sees them (outside a checkpoint: idempotent upserts).
    func flushSearch() throws {
        guard let search = state.search, search.hasPending else { return }
        try db.write { db in try search.flush(db) }
        search.didCommit(purged: false)
    }

    /// The canonical serialised state: every table's rows in key order, then the search index's rows and
    /// vocabulary. Two stores at the same position with the same journal give the same bytes.
    public func canonicalBytes() throws -> [UInt8] {
        try flushSearch()
        var w = ByteWriter(capacity: 1 << 20)
        w.writeVarint(nextPosition)
        for t in state.tables { t.writeCanonical(into: &w) }
        try db.read { db in try SearchIndex.writeCanonical(db, into: &w) }
        return w.bytes
    }

    public func digest() throws -> String {
        SHA256.hash(data: try canonicalBytes()).map { String(format: "%02x", $0) }.joined()
    }

    /// Thins the checkpoint history with age (dense recently, sparse long ago): a removed checkpoint's rows
    /// move to the next checkpoint unless that one has a newer row for the key, so every kept checkpoint
    /// still answers for every key. Returns the checkpoints removed.
    @discardableResult
    public func applyRetention(_ retention: SnapshotRetention = .standard, now: Timestamp) throws -> Int {
        try db.write { db in
            let log = try Row.fetchAll(db, sql: "SELECT position, recorded_at FROM checkpoint_log ORDER BY position")
                .map { (sequence: UInt64(bitPattern: $0[0]), recordedAt: $0[1] as Int64) }
            let keep = retention.sequencesToKeep(log, now: now.microseconds)
            var removed = 0
            for (i, c) in log.enumerated() where !keep.contains(c.sequence) && i + 1 < log.count {
                let (from, to) = (Int64(bitPattern: c.sequence), Int64(bitPattern: log[i + 1].sequence))
                try db.execute(
                    sql: """
                        DELETE FROM view_history WHERE position = ?1 AND EXISTS (SELECT 1 FROM view_history h
                            WHERE h.tbl = view_history.tbl AND h.key = view_history.key AND h.position = ?2);
                        UPDATE view_history SET position = ?2 WHERE position = ?1;
                        DELETE FROM checkpoint_log WHERE position = ?1;
                        """, arguments: [from, to])
                removed += 1
            }
            return removed
        }
    }
}
