import ReelJournal

/// The rows of one table written at one checkpoint, packed into blocks of ascending keys: one SQLite row per
/// block instead of one per key, so a checkpoint costs about what its bytes cost (see decision 0015).
///
/// A block is a run of entries, each `varint(key - previous key)` (the first is relative to the block's first
/// key, stored beside the block), then a 4-byte little-endian length and that many bytes of the encoded value,
/// or the length `0xFFFF_FFFF` alone for a row deleted at that checkpoint. Lengths let a lookup skip values it
/// does not want without decoding them. A 4-byte CRC-32C of the first key (8 bytes little-endian) and the
/// entries ends the block: damage inside `views.sqlite` that SQLite's own structure checks cannot see (the
/// bytes of a block) is found when the block is read, and the views are rebuilt from the journal.
enum HistoryBlock {
    /// A block closes after this many entries or bytes: small enough that a lookup scans little, large
    /// enough that a checkpoint writes few SQLite rows.
    static let maxEntries = 64
    static let maxBytes = 16 * 1024
    static let deletedLength: UInt32 = .max

    struct Builder {
        private(set) var blocks: [(firstKey: UInt64, bytes: [UInt8])] = []
        private var w = ByteWriter(capacity: HistoryBlock.maxBytes + 1024)
        private var firstKey: UInt64 = 0
        private var previous: UInt64 = 0
        private var entries = 0

        /// Appends the next key (strictly ascending) with its value written by `value`, or nil when deleted.
        mutating func append(_ key: UInt64, _ value: ((inout ByteWriter) -> Void)?) {
            if entries == 0 {
                firstKey = key
                previous = key
            }
            precondition(key >= previous && (entries == 0 || key > previous), "history block keys must ascend")
            w.writeVarint(key - previous)
            previous = key
            if let value {
                let lengthAt = w.count
                w.writeUInt32(0)
                let start = w.count
                value(&w)
                w.patchUInt32(UInt32(w.count - start), at: lengthAt)
            } else {
                w.writeUInt32(HistoryBlock.deletedLength)
            }
            entries += 1
            if entries == HistoryBlock.maxEntries || w.count >= HistoryBlock.maxBytes { close() }
        }

        mutating func appendRaw(_ key: UInt64, _ value: [UInt8]?) {
            append(key, value.map { bytes in { $0.writeBytes(bytes) } })
        }

        private mutating func close() {
            guard entries > 0 else { return }
            let crc = w.bytes.withUnsafeBytes { HistoryBlock.checksum($0, firstKey: firstKey) }
            w.writeUInt32(crc)
            blocks.append((firstKey, w.bytes))
            w.removeAll()
            entries = 0
        }

        mutating func finish() -> [(firstKey: UInt64, bytes: [UInt8])] {
            close()
            return blocks
        }
    }

    /// Visits every entry in key order; `value` is nil for a deletion.
    static func forEach(
        _ block: [UInt8], firstKey: UInt64, _ body: (UInt64, UnsafeRawBufferPointer?) throws(JournalError) -> Void
    ) throws(JournalError) {
        try block.withBytes { (whole) throws(JournalError) in
            guard whole.count >= 4 else { throw JournalError(.corruption, "history block of \(whole.count) bytes has no checksum") }
            let raw = UnsafeRawBufferPointer(rebasing: whole[0..<(whole.count - 4)])
            let stored = whole.loadUnaligned(fromByteOffset: whole.count - 4, as: UInt32.self).littleEndian
            guard checksum(raw, firstKey: firstKey) == stored else {
                throw JournalError(.corruption, "history block from key \(firstKey) fails its checksum")
            }
            var r = ByteReader(raw)
            var key = firstKey
            var first = true
            while !r.isAtEnd {
                let delta = try r.readVarint()
                guard first || delta > 0 else { throw JournalError(.malformed, "history block keys do not ascend") }
                first = false
                key &+= delta
                let length = try r.readUInt32()
                if length == deletedLength {
                    try body(key, nil)
                    continue
                }
                guard Int(length) <= r.remaining else { throw JournalError(.malformed, "history block value runs past its end") }
                let start = r.offset
                try r.skip(Int(length))
                try body(key, UnsafeRawBufferPointer(rebasing: raw[start..<start + Int(length)]))
            }
        }
    }

    /// CRC-32C of the first key's 8 little-endian bytes, then the entries.
    static func checksum(_ entries: UnsafeRawBufferPointer, firstKey: UInt64) -> UInt32 {
        let seed = withUnsafeBytes(of: firstKey.littleEndian) { CRC32C.checksum($0) }
        return CRC32C.checksum(entries, seed: seed)
    }

    enum Lookup: Equatable {
        case value([UInt8])
        case deleted
        case absent
    }

    /// What the block records for `key`.
    static func find(_ key: UInt64, in block: [UInt8], firstKey: UInt64) throws(JournalError) -> Lookup {
        guard key >= firstKey else { return .absent }
        var found = Lookup.absent
        // Blocks are small (at most 64 entries): a linear pass that skips values is cheaper than an index.
        try forEach(block, firstKey: firstKey) { k, value in
            if k == key { found = value.map { .value(Array($0)) } ?? .deleted }
        }
        return found
    }

    /// Every entry as raw bytes (retention merges checkpoints without decoding values).
    static func entries(_ block: [UInt8], firstKey: UInt64) throws(JournalError) -> [(UInt64, [UInt8]?)] {
        var out: [(UInt64, [UInt8]?)] = []
        try forEach(block, firstKey: firstKey) { k, value in out.append((k, value.map { Array($0) })) }
        return out
    }
}
