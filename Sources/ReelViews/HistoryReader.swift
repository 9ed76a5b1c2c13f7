import Foundation
import GRDB
import ReelJournal

/// Reads keys' values at a checkpoint from the block history of `views.sqlite`, for per-key time travel.
///
/// `searched` lists the checkpoints to look in, newest first, ending at a complete one: a key's value is its
/// entry in the newest of them that records it (a value or a deletion). A replay faults in hundreds or
/// thousands of keys (every viewer of a hot video), so each checkpoint's block index (first keys) is read
/// once and every block fetched is kept for the rest of the query.
final class HistoryReader {
    private let db: DatabaseQueue
    private let searched: [Int64]
    private struct Run: Hashable {
        var position: Int64
        var table: Int
    }
    private var firstKeys: [Run: [UInt64]] = [:]
    private var blocks: [Run: [UInt64: [UInt64: [UInt8]?]]] = [:]

    init(db: DatabaseQueue, searched: [Int64]) {
        self.db = db
        self.searched = searched
    }

    /// The encoded value of `key` in table number `table` at the newest searched checkpoint, or nil.
    func value(table: Int, key: UInt64) throws -> [UInt8]? {
        for position in searched {
            let run = Run(position: position, table: table)
            let keys = try firstKeys(of: run)
            // The last block starting at or below the key.
            var (lo, hi) = (0, keys.count)
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[mid] <= key { lo = mid + 1 } else { hi = mid }
            }
            guard lo > 0 else { continue }
            let entries = try block(of: run, firstKey: keys[lo - 1])
            if let entry = entries[key] { return entry }
        }
        return nil
    }

    private func firstKeys(of run: Run) throws -> [UInt64] {
        if let keys = firstKeys[run] { return keys }
        let keys = try db.read { db in
            try Int64.fetchAll(
                db, sql: "SELECT first_key FROM view_history WHERE position = ? AND tbl = ? ORDER BY first_key",
                arguments: [run.position, run.table]
            ).map { UInt64(bitPattern: $0) }
        }
        firstKeys[run] = keys
        return keys
    }

    private func block(of run: Run, firstKey: UInt64) throws -> [UInt64: [UInt8]?] {
        if let entries = blocks[run]?[firstKey] { return entries }
        let bytes = try db.read { db in
            try Data.fetchOne(
                db, sql: "SELECT block FROM view_history WHERE position = ? AND tbl = ? AND first_key = ?",
                arguments: [run.position, run.table, Int64(bitPattern: firstKey)])
        }
        var entries: [UInt64: [UInt8]?] = [:]
        if let bytes {
            for (k, v) in try HistoryBlock.entries(Array(bytes), firstKey: firstKey) { entries[k] = .some(v) }
        }
        blocks[run, default: [:]][firstKey] = entries
        return entries
    }
}
