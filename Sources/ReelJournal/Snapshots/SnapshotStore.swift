import Foundation
import GRDB

/// A saved entity state: the fold of its stream up to `sequence` (journal `position`).
public struct Snapshot: Sendable, Hashable {
    public var stream: StreamID
    public var sequence: UInt64
    public var position: UInt64
    public var recordedAt: Timestamp
    /// The state encoding's version; a snapshot of a version the code no longer reads is ignored.
    public var schemaVersion: UInt16
    public var state: [UInt8]

    public init(stream: StreamID, sequence: UInt64, position: UInt64, recordedAt: Timestamp, schemaVersion: UInt16, state: [UInt8]) {
        self.stream = stream
        self.sequence = sequence
        self.position = position
        self.recordedAt = recordedAt
        self.schemaVersion = schemaVersion
        self.state = state
    }
}

/// Snapshots in SQLite (GRDB, WAL), keyed by stream and sequence. Blocking: call from a thread that may block.
public final class SnapshotStore: Sendable {
    private let db: DatabasePool
    public let retention: SnapshotRetention

    /// Why the store found at open was discarded (nil: it was sound, or new); see `openOrRebuild`.
    public let discardedDamage: String?

    public convenience init(path: String, retention: SnapshotRetention = .standard) throws(JournalError) {
        try self.init(path: path, retention: retention, discardedDamage: nil)
    }

    init(path: String, retention: SnapshotRetention, discardedDamage: String?) throws(JournalError) {
        self.retention = retention
        self.discardedDamage = discardedDamage
        do {
            var config = Configuration()
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
            db = try DatabasePool(path: path, configuration: config)
            try StoreDamage.quickCheck(db)
            try db.write { db in
                // Snapshots before the checksum column (issue 24) are dropped: entities rebuild from events.
                if try db.tableExists("snapshot"), try !db.columns(in: "snapshot").contains(where: { $0.name == "checksum" }) {
                    try db.execute(sql: "DROP TABLE snapshot")
                }
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS snapshot (
                            stream_kind INTEGER NOT NULL, stream_id INTEGER NOT NULL, sequence INTEGER NOT NULL,
                            position INTEGER NOT NULL, recorded_at INTEGER NOT NULL, schema_version INTEGER NOT NULL,
                            state BLOB NOT NULL, checksum INTEGER NOT NULL,
                            PRIMARY KEY (stream_kind, stream_id, sequence)) WITHOUT ROWID;
                        CREATE INDEX IF NOT EXISTS snapshot_time ON snapshot (stream_kind, stream_id, recorded_at);
                        """)
            }
        } catch {
            throw JournalError(.io, "cannot open snapshot store \(path)", cause: error)
        }
    }

    /// Opens the store at `path`, or deletes it and opens an empty one when it is damaged (SQLite finds it
    /// corrupt or not a database): snapshots are derived, entities rebuild from their events (issue 24).
    public static func openOrRebuild(path: String, retention: SnapshotRetention = .standard) throws(JournalError) -> SnapshotStore {
        do {
            return try SnapshotStore(path: path, retention: retention)
        } catch where DerivedStoreDamage.isDamage(error) {
            do {
                try DerivedStoreDamage.removeDatabase(path)
            } catch {
                throw JournalError(.io, "cannot remove the damaged snapshot store \(path)", cause: error)
            }
            return try SnapshotStore(path: path, retention: retention, discardedDamage: "\(error)")
        }
    }

    /// CRC-32C of everything a snapshot row says, so damage to its bytes reads as no snapshot (the entity
    /// folds its events instead) rather than as a wrong state.
    static func checksum(_ s: Snapshot) -> UInt32 {
        var w = ByteWriter(capacity: 48 + s.state.count)
        w.writeUInt16(s.stream.kind)
        w.writeUInt64(s.stream.id)
        w.writeUInt64(s.sequence)
        w.writeUInt64(s.position)
        w.writeInt64(s.recordedAt.microseconds)
        w.writeUInt16(s.schemaVersion)
        w.writeBytes(s.state)
        return CRC32C.checksum(w.bytes)
    }

    public func save(_ s: Snapshot) throws(JournalError) { try saveAll([s]) }

    /// Saves many snapshots in one transaction.
    public func saveAll(_ snapshots: [Snapshot]) throws(JournalError) {
        try run("save snapshots") { db in
            try db.write { db in
                let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                for s in snapshots {
                    try statement.execute(arguments: [
                        Int64(s.stream.kind), Int64(bitPattern: s.stream.id), Int64(bitPattern: s.sequence),
                        Int64(bitPattern: s.position), s.recordedAt.microseconds, Int64(s.schemaVersion), Data(s.state),
                        Int64(Self.checksum(s)),
                    ])
                }
            }
        }
    }

    /// The newest snapshot of `stream` in `schemaVersion` at or before `position` (or the newest at all).
    public func newest(of stream: StreamID, schemaVersion: UInt16, atOrBefore position: UInt64 = .max) throws(JournalError) -> Snapshot? {
        try fetch(
            "stream_kind = ? AND stream_id = ? AND schema_version = ? AND position <= ?",
            [Int64(stream.kind), Int64(bitPattern: stream.id), Int64(schemaVersion), Int64(bitPattern: min(position, UInt64(Int64.max)))])
    }

    /// The newest snapshot of `stream` in `schemaVersion` recorded at or before `time`.
    public func newest(of stream: StreamID, schemaVersion: UInt16, atOrBeforeTime time: Timestamp) throws(JournalError) -> Snapshot? {
        try fetch(
            "stream_kind = ? AND stream_id = ? AND schema_version = ? AND recorded_at <= ?",
            [Int64(stream.kind), Int64(bitPattern: stream.id), Int64(schemaVersion), time.microseconds])
    }

    /// Thins every stream's snapshots by the retention policy; returns how many were deleted.
    @discardableResult
    public func applyRetention(now: Timestamp) throws(JournalError) -> Int {
        try run("apply snapshot retention") { db in
            try db.write { db -> Int in
                let rows = try Row.fetchAll(
                    db, sql: "SELECT stream_kind, stream_id, sequence, recorded_at FROM snapshot ORDER BY stream_kind, stream_id, sequence")
                var deleted = 0
                var i = 0
                while i < rows.count {
                    let kind: Int64 = rows[i][0]
                    let id: Int64 = rows[i][1]
                    var group: [(sequence: UInt64, recordedAt: Int64)] = []
                    while i < rows.count, rows[i][0] as Int64 == kind, rows[i][1] as Int64 == id {
                        group.append((UInt64(bitPattern: rows[i][2]), rows[i][3]))
                        i += 1
                    }
                    let keep = retention.sequencesToKeep(group, now: now.microseconds)
                    for g in group where !keep.contains(g.sequence) {
                        try db.execute(
                            sql: "DELETE FROM snapshot WHERE stream_kind = ? AND stream_id = ? AND sequence = ?",
                            arguments: [kind, id, Int64(bitPattern: g.sequence)])
                        deleted += 1
                    }
                }
                return deleted
            }
        }
    }

    /// Deletes every snapshot of a stream (for erasure: snapshots may hold decrypted personal data).
    public func deleteAll(of stream: StreamID) throws(JournalError) {
        try run("delete snapshots") { db in
            try db.write { db in
                try db.execute(
                    sql: "DELETE FROM snapshot WHERE stream_kind = ? AND stream_id = ?",
                    arguments: [Int64(stream.kind), Int64(bitPattern: stream.id)])
            }
        }
    }

    public func count() throws(JournalError) -> Int {
        try run("count snapshots") { db in try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM snapshot") ?? 0 } }
    }

    /// One statement, compiled once per connection and read without a transaction (a single SELECT is
    /// consistent by itself): activations look up a snapshot per entity, and compiling the query (GRDB's
    /// authorizer, column names) plus BEGIN/COMMIT was most of an activation.
    private func fetch(_ condition: String, _ args: [Int64]) throws(JournalError) -> Snapshot? {
        try run("read a snapshot") { db in
            try db.unsafeRead { db -> Snapshot? in
                let statement = try db.cachedStatement(
                    sql: """
                        SELECT stream_kind, stream_id, sequence, position, recorded_at, schema_version, state, checksum FROM snapshot
                            WHERE \(condition) ORDER BY sequence DESC LIMIT 1
                        """)
                guard let row = try Row.fetchOne(statement, arguments: StatementArguments(args)) else { return nil }
                // Integers are read without traps: a damaged row must read as damaged, not stop the process.
                let kind = UInt16(truncatingIfNeeded: row[0] as Int64)
                let version = UInt16(truncatingIfNeeded: row[5] as Int64)
                let snapshot = Snapshot(
                    stream: StreamID(kind: kind, id: UInt64(bitPattern: row[1])),
                    sequence: UInt64(bitPattern: row[2]), position: UInt64(bitPattern: row[3]),
                    recordedAt: Timestamp(microseconds: row[4]),
                    schemaVersion: version, state: Array(row[6] as Data))
                return Int64(Self.checksum(snapshot)) == row[7] as Int64 ? snapshot : nil
            }
        }
    }

    private func run<T>(_ what: String, _ body: (DatabasePool) throws -> T) throws(JournalError) -> T {
        do {
            return try body(db)
        } catch {
            throw JournalError(.io, "cannot \(what)", cause: error)
        }
    }
}
