import Synchronization

/// The decompressed record blocks of recently read frames, so that reading one stream's events does not
/// decompress and checksum a whole frame for every event it wants.
///
/// Why: a stream read (an entity's activation, a per-key audit) picks single events out of frames shared with
/// many other streams. Recent frames are read again and again: sessions that started together are activated
/// together, and a hot stream's tail lies in the newest frames. Without a cache each event costs a `pread`, a
/// CRC over the frame and a zstd decompression of up to `maxBatchEvents` records.
///
/// A frame is identified by its first position, its offset and its length: compaction rewrites a frame at new
/// offsets (and the journal clears the cache when it swaps a segment anyway). Entries are immutable and
/// validated before they are inserted. Eviction is CLOCK (second chance) by bytes.
final class FrameCache: Sendable {
    struct Key: Hashable {
        var firstPosition: UInt64
        var offset: UInt64
        var frameLength: UInt32
    }

    struct Entry: Sendable {
        let header: FrameHeader
        /// The uncompressed records block.
        let block: [UInt8]
        /// Its type table and record offsets (a record is found without skipping the ones before it).
        let layout: RecordCodec.BlockLayout

        /// What the entry costs the cache, roughly.
        var bytes: Int { block.count + layout.offsets.count * 4 + layout.types.count * 32 + 64 }
    }

    private struct Slot {
        var entry: Entry
        var referenced: Bool
    }

    private struct State {
        var slots: [Key: Slot] = [:]
        /// Keys in insertion order; `hand` is where eviction looks next.
        var ring: [Key] = []
        var hand = 0
        var bytes = 0
    }

    let capacityBytes: Int
    private let state = Mutex(State())

    init(capacityBytes: Int) { self.capacityBytes = max(0, capacityBytes) }

    func entry(_ key: Key) -> Entry? {
        guard capacityBytes > 0 else { return nil }
        return state.withLock { s -> Entry? in
            guard s.slots[key] != nil else { return nil }
            s.slots[key]!.referenced = true
            return s.slots[key]!.entry
        }
    }

    func insert(_ key: Key, _ entry: Entry) {
        let size = entry.bytes
        guard size <= capacityBytes / 4 else { return }  // one huge frame must not flush everything else
        state.withLock { s in
            guard s.slots[key] == nil else { return }
            while s.bytes + size > capacityBytes, !s.ring.isEmpty { evictOne(&s) }
            s.slots[key] = Slot(entry: entry, referenced: false)
            s.ring.append(key)
            s.bytes += size
        }
    }

    func removeAll() {
        state.withLock { $0 = State() }
    }

    var byteCount: Int { state.withLock { $0.bytes } }

    private func evictOne(_ s: inout State) {
        while true {
            if s.hand >= s.ring.count { s.hand = 0 }
            let key = s.ring[s.hand]
            if s.slots[key]!.referenced {
                s.slots[key]!.referenced = false
                s.hand += 1
                continue
            }
            s.bytes -= s.slots.removeValue(forKey: key)!.entry.bytes
            // Swap-remove keeps the ring dense; the moved key gets its second chance a little early or late,
            // which CLOCK tolerates.
            s.ring[s.hand] = s.ring[s.ring.count - 1]
            s.ring.removeLast()
            return
        }
    }
}
