import Foundation

/// Takes and encodes the tables of one checkpoint on two threads while the checkpoint's thread writes the blocks
/// already encoded into SQLite: encoding and the SQLite inserts overlap instead of following each other.
///
/// Tables are claimed one at a time, largest first, by a helper thread and by the writing thread whenever it has
/// nothing encoded to insert; each table is touched by the one thread that claimed it. `next()` hands over
/// encoded tables in the order they finish (the insert order does not matter: the history is read through its
/// index). Before `next()` returns nil every table has been taken, so a failed checkpoint can always mark every
/// taken key dirty again (`drain`).
final class CheckpointEncoder: @unchecked Sendable {
    typealias Encoded = (index: Int, keys: [UInt64], blocks: [(firstKey: UInt64, bytes: [UInt8])])

    private let tables: [any AnyKeyedTable]
    private let complete: Bool
    private let condition = NSCondition()
    /// Table indexes not claimed yet, the next to claim last.
    private var unclaimed: [Int]
    private var ready: [Encoded] = []
    private var inFlight = 0

    init(tables: [any AnyKeyedTable], complete: Bool) {
        self.tables = tables
        self.complete = complete
        // Largest first (what a checkpoint writes of each), so the long encodings start at once.
        let cost = tables.map { complete ? $0.count : $0.dirtyCount }
        unclaimed = tables.indices.sorted { cost[$0] != cost[$1] ? cost[$0] < cost[$1] : $0 > $1 }
        let helper = Thread { [self] in while let index = claim() { finish(encode(index)) } }
        helper.qualityOfService = .userInitiated
        helper.start()
    }

    /// The next encoded table: one ready, else one this thread encodes itself, else one the helper finishes.
    /// Nil when every table has been handed over.
    func next() -> Encoded? {
        condition.lock()
        if let done = ready.popLast() {
            condition.unlock()
            return done
        }
        if let index = unclaimed.popLast() {
            inFlight += 1
            condition.unlock()
            let encoded = encode(index)
            condition.lock()
            inFlight -= 1
            condition.unlock()
            return encoded
        }
        while ready.isEmpty && inFlight > 0 { condition.wait() }
        let done = ready.popLast()
        condition.unlock()
        return done
    }

    /// Everything not handed over yet (after a failure: the keys must be marked dirty again).
    func drain() -> [Encoded] {
        var out: [Encoded] = []
        while let e = next() { out.append(e) }
        return out
    }

    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        guard let index = unclaimed.popLast() else { return nil }
        inFlight += 1
        return index
    }

    private func finish(_ encoded: Encoded) {
        condition.lock()
        ready.append(encoded)
        inFlight -= 1
        condition.broadcast()
        condition.unlock()
    }

    private func encode(_ index: Int) -> Encoded {
        let (keys, blocks) = tables[index].takeBlocks(complete: complete)
        return (index, keys, blocks)
    }
}
