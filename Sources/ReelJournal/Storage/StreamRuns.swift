/// The stream index of one segment: for each stream, its first sequence in the segment and the positions of
/// its events (relative to the segment's base; a stream's sequences inside a segment are consecutive).
///
/// Built in memory for the active segment, written sorted as a `.sidx` file when the segment is sealed.
struct StreamRuns: Sendable {
    struct Run: Sendable {
        var firstSequence: UInt64
        var offsets: [UInt32]
        var lastSequence: UInt64 { firstSequence + UInt64(offsets.count) - 1 }
    }

    let basePosition: UInt64
    private(set) var runs: [StreamID: Run] = [:]
    private(set) var eventCount = 0

    init(basePosition: UInt64) { self.basePosition = basePosition }

    /// Records one event; returns false when its sequence does not follow the stream's previous one here.
    @discardableResult
    mutating func add(stream: StreamID, sequence: UInt64, position: UInt64) -> Bool {
        let offset = UInt32(truncatingIfNeeded: position - basePosition)
        eventCount += 1
        if let i = runs.index(forKey: stream) {
            // Mutate in place through the index: one hash lookup, no copy of the offsets array.
            guard sequence == runs.values[i].lastSequence + 1 else { return false }
            runs.values[i].offsets.append(offset)
        } else {
            runs[stream] = Run(firstSequence: sequence, offsets: [offset])
        }
        return true
    }

    func run(for stream: StreamID) -> Run? { runs[stream] }

    /// `.sidx` bytes: header, sorted stream table, positions, CRC (see `Journal/FORMAT.md`).
    func encodeSealed() -> [UInt8] {
        let keys = runs.keys.sorted()
        var w = ByteWriter(capacity: 32 + keys.count * 28 + eventCount * 4 + 4)
        w.writeBytes(SealedStreamIndex.magic)
        w.writeUInt16(1)
        w.writeUInt16(0)
        w.writeUInt32(UInt32(keys.count))
        w.writeUInt64(basePosition)
        w.writeUInt64(UInt64(eventCount))
        var offset: UInt32 = 0
        for k in keys {
            let run = runs[k]!
            w.writeUInt16(k.kind)
            w.writeUInt16(0)
            w.writeUInt64(k.id)
            w.writeUInt64(run.firstSequence)
            w.writeUInt32(UInt32(run.offsets.count))
            w.writeUInt32(offset)
            offset += UInt32(run.offsets.count)
        }
        for k in keys {
            for o in runs[k]!.offsets { w.writeUInt32(o) }
        }
        w.writeUInt32(CRC32C.checksum(w.bytes))
        return w.bytes
    }
}

/// A sealed segment's stream index, read from its `.sidx` file and searched in place.
final class SealedStreamIndex: Sendable {
    static let magic: [UInt8] = Array("REELJSIX".utf8)
    static let headerSize = 32
    static let entrySize = 28

    let basePosition: UInt64
    let streamCount: Int
    private let bytes: [UInt8]

    init(bytes: [UInt8], expectedBase: UInt64, file: String) throws(JournalError) {
        guard bytes.count >= Self.headerSize + 4, Array(bytes[0..<8]) == Self.magic else {
            throw JournalError(.corruption, "stream index header is damaged", file: file, offset: 0)
        }
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self) }
        guard CRC32C.checksum(Array(bytes[0..<(bytes.count - 4)])) == UInt32(littleEndian: stored) else {
            throw JournalError(.corruption, "stream index checksum mismatch", file: file, offset: bytes.count - 4)
        }
        let (count, base, events) = bytes.withUnsafeBytes {
            (
                Int($0.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian),
                $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian,
                Int($0.loadUnaligned(fromByteOffset: 24, as: UInt64.self).littleEndian)
            )
        }
        guard base == expectedBase, Self.headerSize + count * Self.entrySize + events * 4 + 4 == bytes.count else {
            throw JournalError(.corruption, "stream index does not match its segment", file: file, offset: 0)
        }
        self.basePosition = base
        self.streamCount = count
        self.bytes = bytes
    }

    struct Entry {
        var stream: StreamID
        var firstSequence: UInt64
        var count: Int
        var positionsStart: Int
        var lastSequence: UInt64 { firstSequence + UInt64(count) - 1 }
    }

    private func entry(at i: Int) -> Entry {
        bytes.withUnsafeBytes { b in
            let o = Self.headerSize + i * Self.entrySize
            return Entry(
                stream: StreamID(
                    kind: b.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian,
                    id: b.loadUnaligned(fromByteOffset: o + 4, as: UInt64.self).littleEndian),
                firstSequence: b.loadUnaligned(fromByteOffset: o + 12, as: UInt64.self).littleEndian,
                count: Int(b.loadUnaligned(fromByteOffset: o + 20, as: UInt32.self).littleEndian),
                positionsStart: Int(b.loadUnaligned(fromByteOffset: o + 24, as: UInt32.self).littleEndian))
        }
    }

    func lookup(_ stream: StreamID) -> Entry? {
        var lo = 0
        var hi = streamCount - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let e = entry(at: mid)
            if e.stream == stream { return e }
            if e.stream < stream { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    /// Absolute positions of the entry's events with index in `range` (0-based within the run).
    func positions(_ e: Entry, _ range: Range<Int>) -> [UInt64] {
        let start = Self.headerSize + streamCount * Self.entrySize + e.positionsStart * 4
        return bytes.withUnsafeBytes { b in
            range.map { basePosition + UInt64(b.loadUnaligned(fromByteOffset: start + $0 * 4, as: UInt32.self).littleEndian) }
        }
    }

    /// Every stream in the segment with its last sequence, in stream order.
    func forEachStream(_ body: (StreamID, UInt64) -> Void) {
        for i in 0..<streamCount {
            let e = entry(at: i)
            body(e.stream, e.lastSequence)
        }
    }
}
