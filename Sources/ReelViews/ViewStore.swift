import Crypto
import Foundation
import GRDB
import Logging
import ReelDomain
import ReelJournal
import ReelRuntime

/// All views as one projection, persisted in one SQLite file (`views.sqlite`): the checkpoint history of
/// every table, the checkpoint log, the FTS5 search index and the position, all written in one transaction
/// so a checkpoint is atomic.
///
/// The history is append-only and ordered by position (decision 0015): a checkpoint appends the rows changed
/// since the previous one, and now and then (when the rows appended since the last complete checkpoint
/// outgrow `completeFactor` times its size) every row, marking itself complete. The current state is the
/// newest complete checkpoint plus the ones after it, applied in order; a key's value at a checkpoint is its
/// newest row at or before it, searched back no further than the complete checkpoint below. Appending at the end of the file
/// keeps a checkpoint's cost proportional to what changed: rows keyed by table and key scattered every
/// checkpoint's writes over the whole file, which made the on-disk rebuild six times slower than the fold.
public final class ViewStore: Projection {
    /// Bump when the tables' encodings or the fold change: a store of another version is rebuilt from events.
    /// (3: interest profiles store their features as differences, `InterestProfile.write`; 4: a person's comments
    /// (`counters.authoredComments`) and erasure that takes comments, follows and captions out, issue 24;
    /// 5: likes and saves once per viewer; 6: history blocks end with a CRC-32C, `HistoryBlock`.)
    public static let schemaVersion: Int64 = 7
    /// A checkpoint is written complete when the rows appended since the last complete one would exceed this
    /// multiple of its size: the history stays within about (1 + factor) times the changes, and loading reads
    /// at most (1 + factor) times the state. A larger factor writes fewer complete checkpoints (a faster
    /// rebuild, a smaller store) and makes per-key time travel search back through more of them.
    public static let defaultCompleteFactor = 4
    let completeFactor: Int

    public let state: ViewState
    /// False in memory: checkpoints then write the search index and the position, not the tables' history.
    let keepsHistory: Bool
    public private(set) var nextPosition: UInt64 = 0
    /// What entities read while deciding; updated as the catalogue changes, readable from any thread.
    public let lookup = CatalogueLookup()
    let db: DatabaseQueue
    /// Rows of the newest complete checkpoint (nil: none yet) and rows appended after it.
    private var completeRows: Int?
    private var rowsSinceComplete = 0
    private let logger = Logger(label: "reel.views")

    /// Opens (or creates) the store at `path`; nil keeps it in memory (rebuilds to a moment, benchmarks).
    public init(path: String?, completeFactor: Int = ViewStore.defaultCompleteFactor) throws {
        precondition(completeFactor >= 1, "a complete checkpoint factor below 1 would make every checkpoint complete")
        self.completeFactor = completeFactor
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        if let path {
            db = try DatabaseQueue(path: path, configuration: config)
            // 16 KiB pages (a new store only: SQLite keeps an existing file's page size): history blocks are a
            // few KiB each, and with 4 KiB pages writing them was mostly overflow-page and WAL-frame work
            // (`reel bench views`: SQLite 2.0 -> 1.5 s of a rebuild, the store 3.5 % larger; decision 0018).
            try db.writeWithoutTransaction {
                try $0.execute(sql: "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            }
            // SQLite's structure here; the blocks' own checksums cover their bytes. A damaged store is rebuilt
            // (`openOrRebuild`).
            try StoreDamage.quickCheck(db)
        } else {
            db = try DatabaseQueue(configuration: config)
        }
        state = ViewState(search: SearchIndex())
        keepsHistory = path != nil
        // A store in memory keeps no checkpoint history: nothing could read it after this process, and tracking
        // every change cost a rebuild in memory (time travel to a moment, feed audits) an eighth of its time
        // (`reel bench views`, in memory: 596-620 k events/s with tracking, 693-743 k without).
        if !keepsHistory { for t in state.tables { t.tracksDirty = false } }
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
            // One row per block of keys (`HistoryBlock`); a rowid table, because blocks exceed what an index
            // b-tree keeps inline (a WITHOUT ROWID table would spill each into overflow pages). `tbl` is the
            // table's place in `ViewState.tables`: reordering the tables needs a new schema version.
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS view_history (position INTEGER NOT NULL, tbl INTEGER NOT NULL, first_key INTEGER NOT NULL,
                        block BLOB NOT NULL);
                    CREATE UNIQUE INDEX IF NOT EXISTS view_history_block ON view_history (position, tbl, first_key);
                    CREATE TABLE IF NOT EXISTS checkpoint_log (position INTEGER PRIMARY KEY, recorded_at INTEGER NOT NULL,
                        complete INTEGER NOT NULL, rows INTEGER NOT NULL);
                    INSERT OR IGNORE INTO meta VALUES ('schemaVersion', \(Self.schemaVersion)), ('nextPosition', 0);
                    """)
            try db.execute(sql: SearchIndex.schema)
        }
        try load()
        state.onCatalogueChange = { [lookup, state] event in lookup.update(event, state: state) }
    }

    /// Opens the store at `path`, or, when it is damaged (SQLite finds it corrupt or not a database, a block
    /// fails its checksum, its positions disagree), deletes it and opens an empty one that the projection
    /// runner rebuilds from the journal: the views are derived, so nothing is lost (issue 24, item 11). The
    /// damage is in `discardedDamage` for the caller to log. Other failures (permissions, a full disk) throw.
    public static func openOrRebuild(path: String, completeFactor: Int = ViewStore.defaultCompleteFactor) throws -> ViewStore {
        do {
            return try ViewStore(path: path, completeFactor: completeFactor)
        } catch where DerivedStoreDamage.isDamage(error) {
            try DerivedStoreDamage.removeDatabase(path)
            let store = try ViewStore(path: path, completeFactor: completeFactor)
            store.discardedDamage = "\(error)"
            return store
        }
    }

    /// Why the store found at open was discarded and is being rebuilt (nil: it was sound, or new).
    public private(set) var discardedDamage: String?

    /// The newest complete checkpoint, then every later one in position order (newer rows replace older).
    private func load() throws {
        let tables = state.tables
        try db.read { db in
            nextPosition = UInt64(try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'nextPosition'") ?? 0)
            // Every checkpoint writes its position to both in one transaction: a disagreement is damage (a
            // garbled position would otherwise read as a journal that lost events, or as events never folded).
            let logged = try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM checkpoint_log").map { UInt64(bitPattern: $0) } ?? 0
            guard logged == nextPosition else {
                throw StoreDamage("the store says it folded up to position \(nextPosition), its checkpoint log says \(logged)")
            }
            guard let basePosition = try readCompleteCounts(db) else { return }
            let rows = try Row.fetchCursor(
                db, sql: "SELECT tbl, first_key, block FROM view_history WHERE position >= ? ORDER BY position, tbl, first_key",
                arguments: [basePosition])
            while let row = try rows.next() {
                let index: Int = row[0]
                guard tables.indices.contains(index) else { continue }
                try tables[index].loadBlock(Array(row[2] as Data), firstKey: UInt64(bitPattern: row[1]))
            }
        }
        lookup.reload(from: state)
    }

    /// Chunks at least this long fold in two lanes (below it, handing work to a thread costs more than it saves).
    static let parallelChunk = 512
    /// The second lane of the fold (trending, with its own copy of the videos and sessions it reads), made by
    /// the first long chunk; short chunks keep its catalogue current.
    private(set) var lane: ViewState?
    /// Time spent in checkpoints since this store was opened (benchmarks report it).
    public private(set) var checkpointSeconds = 0.0
    /// The part of `checkpointSeconds` this thread spent inserting encoded blocks into SQLite (the rest takes
    /// and encodes the changed rows, or waits for the other thread's encoding).
    public private(set) var checkpointWriteSeconds = 0.0

    /// Folds the events in order. A long chunk (catching up, rebuilding) is decoded in two halves at once,
    /// then folded in two lanes at once, each applying every event in order to its own views: the catalogue,
    /// counters, interest, seen, the social graph and search here; trending (about 40 % of the fold) on
    /// another thread. No view of one lane reads a table the other writes, so the result is the same as
    /// folding one event at a time through every view (decision 0015; the rebuild tests compare them).
    public func apply(_ events: [RecordedEvent]) throws {
        guard events.count >= Self.parallelChunk else {
            return try EventCatalog.fold(events, next: &nextPosition) { e in
                state.apply(e)
                self.lane?.applyCatalogue(e)
            }
        }
        let lane = self.lane ?? ViewState(laneOf: state)
        if self.lane == nil {
            lane.copyCatalogue(from: state)
            self.lane = lane
        }
        for (i, e) in events.enumerated() {
            precondition(e.position == nextPosition + UInt64(i), "projections fold events in order: expected \(nextPosition + UInt64(i)), got \(e.position)")
        }
        // Decoding is a fifth of the fold: both halves at once, then both lanes at once.
        let decoded = try Self.decodeInHalves(events)
        nextPosition += UInt64(events.count)
        try Self.foldInLanes(decoded, main: state, lane: lane)
    }

    private static func decodeInHalves(_ events: [RecordedEvent]) throws -> [ReelEvent] {
        let half = events.count / 2
        let later = events[half...]
        let (first, second) = try inParallel({ try EventCatalog.decode(events[..<half]) }, { try EventCatalog.decode(later) })
        return first + second
    }

    private static func foldInLanes(_ decoded: [ReelEvent], main state: ViewState, lane: ViewState) throws {
        let secondLane = UncheckedSendable(lane)
        _ = try inParallel(
            {
                for e in decoded {
                    state.apply(e, only: .mainLane)
                    state.search?.apply(e, state: state)
                }
            },
            { for e in decoded { secondLane.value.apply(e, only: .secondLane) } })
    }

    /// Runs `here` on this thread and `there` on another at the same time; returns both results (or the
    /// first error). `there` must only touch what `here` does not.
    private static func inParallel<A, B>(_ here: () throws -> A, _ there: @escaping @Sendable () throws -> B) throws -> (A, B) {
        let result = UncheckedBox<Result<B, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global(qos: .userInitiated).async {
            result.value = Result { try there() }
            done.signal()
        }
        let a = Result { try here() }
        done.wait()
        return (try a.get(), try result.value!.get())
    }

    /// A failed checkpoint (a full disk) changes nothing on disk and leaves every change pending, so the
    /// next one writes it: the rows taken for writing are marked dirty again.
    public func checkpoint(recordedAt: Timestamp) throws {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { checkpointSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var purged = false
        var taken: [(any AnyKeyedTable, [UInt64])] = []
        let written: (rows: Int, complete: Bool)
        do {
            written = try write(recordedAt: recordedAt, purged: &purged, taken: &taken)
        } catch {
            for (table, keys) in taken { table.markDirty(keys) }
            throw error
        }
        if written.complete {
            (completeRows, rowsSinceComplete) = (written.rows, 0)
        } else {
            rowsSinceComplete += written.rows
        }
        state.search?.didCommit(purged: purged)
        state.erasedRows = [:]
        // Old page images of erased data may still sit in the write-ahead log: fold it in and truncate it.
        if purged { try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } }
    }

    private func write(recordedAt: Timestamp, purged: inout Bool, taken: inout [(any AnyKeyedTable, [UInt64])]) throws -> (rows: Int, complete: Bool) {
        let tables = state.tables
        let changed = tables.reduce(0) { $0 + $1.dirtyCount }
        let complete = keepsHistory && (completeRows.map { rowsSinceComplete + changed > completeFactor * max($0, 1_000) } ?? true)
        var rows = changed
        if complete { rows = tables.reduce(0) { $0 + $1.count } }
        // Sorting and encoding the changed rows was as long as the SQLite inserts and came before them: tables
        // are encoded on two threads while this one inserts each table's blocks as soon as they are ready.
        let encoder = keepsHistory ? CheckpointEncoder(tables: tables, complete: complete) : nil
        var writing = 0.0
        defer { checkpointWriteSeconds += writing }
        do {
            try db.write { db in
                // OR REPLACE: a second checkpoint at the same position (nothing folded between) may repeat a block.
                let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO view_history VALUES (?, ?, ?, ?)")
                let position = Int64(bitPattern: nextPosition)
                while let encoded = encoder?.next() {
                    taken.append((tables[encoded.index], encoded.keys))
                    let started = DispatchTime.now().uptimeNanoseconds
                    for (firstKey, bytes) in encoded.blocks {
                        try insert.execute(arguments: [position, encoded.index, Int64(bitPattern: firstKey), Data(bytes)])
                    }
                    writing += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                }
                let started = DispatchTime.now().uptimeNanoseconds
                defer { writing += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
                try state.search?.flush(db)
                purged = try state.search?.purgeIfNeeded(db) ?? false
                if try purgeErasedHistory(db, before: position) { purged = true }
                try db.execute(
                    sql: """
                        INSERT INTO checkpoint_log VALUES (?1, ?2, ?3, ?4) ON CONFLICT (position)
                            DO UPDATE SET complete = MAX(complete, excluded.complete), rows = rows + excluded.rows
                        """,
                    arguments: [position, recordedAt.microseconds, complete ? 1 : 0, rows])
                try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'nextPosition'", arguments: [position])
            }
        } catch {
            // Tables the failed transaction never reached were taken too: their keys are marked dirty again.
            for encoded in encoder?.drain() ?? [] { taken.append((tables[encoded.index], encoded.keys)) }
            throw error
        }
        return (rows, complete)
    }

    /// Deletes the older history of the rows an erasure named (`ViewState.erasedRows`): every entry of such a
    /// key at a checkpoint before this one becomes a deletion, so neither time travel nor the file's bytes
    /// hold the erased person's rows. This checkpoint has just written each such row's state now (or the row
    /// is absent now), so loading the newest state reads the same rows as before. Returns whether any block
    /// changed. A scan of the table's block keys per erasure: erasures are rare.
    private func purgeErasedHistory(_ db: Database, before position: Int64) throws -> Bool {
        guard keepsHistory else { return false }
        var changed = false
        let select = try db.cachedStatement(sql: "SELECT block FROM view_history WHERE position = ? AND tbl = ? AND first_key = ?")
        let update = try db.cachedStatement(sql: "UPDATE view_history SET block = ? WHERE position = ? AND tbl = ? AND first_key = ?")
        for (table, keys) in state.erasedRows.sorted(by: { $0.key < $1.key }) {
            var firstKeys: [Int64: [UInt64]] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT position, first_key FROM view_history WHERE tbl = ? AND position < ?", arguments: [table, position])
            while let row = try rows.next() { firstKeys[row[0], default: []].append(UInt64(bitPattern: row[1])) }
            for (at, firsts) in firstKeys {
                // Blocks of one checkpoint hold ascending keys: a key sits in the last block starting at or below it.
                let sorted = firsts.sorted()
                var targets: [UInt64: Set<UInt64>] = [:]
                for key in keys {
                    let i = sorted.sortedIndex(of: key)
                    let block = i.found ? i.index : i.index - 1
                    if block >= 0 { targets[sorted[block], default: []].insert(key) }
                }
                for (first, erased) in targets {
                    let args: StatementArguments = [at, table, Int64(bitPattern: first)]
                    guard let data = try Data.fetchOne(select, arguments: args) else { continue }
                    let entries = try HistoryBlock.entries(Array(data), firstKey: first)
                    guard entries.contains(where: { erased.contains($0.0) && $0.1 != nil }) else { continue }
                    var builder = HistoryBlock.Builder()
                    for (key, value) in entries { builder.appendRaw(key, erased.contains(key) ? nil : value) }
                    let blocks = builder.finish()
                    // Deletions are shorter than values: the block cannot have grown into two.
                    precondition(blocks.count == 1 && blocks[0].firstKey == first, "a purged history block split")
                    try update.execute(arguments: [Data(blocks[0].bytes)] + args)
                    changed = true
                }
            }
        }
        return changed
    }

    /// Hands a value to another thread when the code guarantees only one thread uses it at a time.
    private struct UncheckedSendable<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }
    private final class UncheckedBox<T>: @unchecked Sendable {
        var value: T
        init(_ value: T) { self.value = value }
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
    /// move to the next checkpoint unless that one has its own row for the key (newer), and a removed complete
    /// checkpoint makes the next one complete, so every kept checkpoint still answers for every key. Returns
    /// the checkpoints removed.
    @discardableResult
    public func applyRetention(_ retention: SnapshotRetention = .standard, now: Timestamp) throws -> Int {
        try applyRetention { log in
            retention.sequencesToKeep(log.map { (sequence: $0.position, recordedAt: $0.recordedAt) }, now: now.microseconds)
        }
    }

    /// Removes the checkpoints `keep` leaves out (never the newest), merging each into the next.
    @discardableResult
    public func applyRetention(keep: (_ log: [(position: UInt64, recordedAt: Int64)]) -> Set<UInt64>) throws -> Int {
        let removed = try db.write { db in
            let log = try Row.fetchAll(db, sql: "SELECT position, recorded_at FROM checkpoint_log ORDER BY position")
                .map { (position: UInt64(bitPattern: $0[0]), recordedAt: $0[1] as Int64) }
            let kept = keep(log)
            var removed = 0
            for (i, c) in log.enumerated() where !kept.contains(c.position) && i + 1 < log.count {
                let (from, to) = (Int64(bitPattern: c.position), Int64(bitPattern: log[i + 1].position))
                let rows = try Self.mergeHistory(db, from: from, into: to)
                try db.execute(
                    sql: """
                        UPDATE checkpoint_log SET complete = MAX(complete, (SELECT complete FROM checkpoint_log WHERE position = ?1)), rows = ?3
                            WHERE position = ?2
                        """, arguments: [from, to, rows])
                try db.execute(sql: "DELETE FROM checkpoint_log WHERE position = ?", arguments: [from])
                removed += 1
            }
            return removed
        }
        if removed > 0 { try reloadCompleteCounts() }
        return removed
    }

    /// The checkpoints the history holds, oldest first.
    public func checkpointPositions() throws -> [UInt64] {
        try db.read { db in try Int64.fetchAll(db, sql: "SELECT position FROM checkpoint_log ORDER BY position").map { UInt64(bitPattern: $0) } }
    }

    /// Moves checkpoint `from`'s rows into checkpoint `to` (the next one), table by table: a key `to` has
    /// its own row for keeps it (it is newer). Returns the rows `to` holds afterwards.
    private static func mergeHistory(_ db: Database, from: Int64, into to: Int64) throws -> Int {
        func entries(_ position: Int64) throws -> [Int: [(UInt64, [UInt8]?)]] {
            var out: [Int: [(UInt64, [UInt8]?)]] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT tbl, first_key, block FROM view_history WHERE position = ? ORDER BY tbl, first_key", arguments: [position])
            while let row = try rows.next() {
                out[row[0], default: []] += try HistoryBlock.entries(Array(row[2] as Data), firstKey: UInt64(bitPattern: row[1]))
            }
            return out
        }
        let (older, newer) = (try entries(from), try entries(to))
        try db.execute(sql: "DELETE FROM view_history WHERE position IN (?, ?)", arguments: [from, to])
        let insert = try db.cachedStatement(sql: "INSERT INTO view_history VALUES (?, ?, ?, ?)")
        var total = 0
        for table in Set(older.keys).union(newer.keys).sorted() {
            var merged: [UInt64: [UInt8]?] = [:]
            for (k, v) in older[table] ?? [] { merged[k] = v }
            for (k, v) in newer[table] ?? [] { merged[k] = v }
            var builder = HistoryBlock.Builder()
            for k in merged.keys.sorted() { builder.appendRaw(k, merged[k]!) }
            for (firstKey, bytes) in builder.finish() {
                try insert.execute(arguments: [to, table, Int64(bitPattern: firstKey), Data(bytes)])
            }
            total += merged.count
        }
        return total
    }

    private func reloadCompleteCounts() throws { _ = try db.read { db in try readCompleteCounts(db) } }

    /// Reads the newest complete checkpoint's row count and the rows appended after it; returns its position
    /// (nil: no complete checkpoint yet).
    private func readCompleteCounts(_ db: Database) throws -> Int64? {
        guard let base = try Row.fetchOne(db, sql: "SELECT position, rows FROM checkpoint_log WHERE complete = 1 ORDER BY position DESC LIMIT 1")
        else { return nil }
        let position: Int64 = base[0]
        completeRows = base[1]
        rowsSinceComplete = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(rows), 0) FROM checkpoint_log WHERE position > ?", arguments: [position]) ?? 0
        return position
    }
}

