/// The last sequence of every stream as of the end of the newest sealed segment, sorted by stream.
///
/// Persisted as `streams.heads` when a segment is sealed, so that reopening a large journal needs only this
/// file and a scan of the active segment to know every stream's version.
struct StreamHeads: Sendable {
    private(set) var streams: [StreamID] = []
    private(set) var lastSequences: [UInt64] = []
    /// The first position not covered (the next segment's base).
    private(set) var coveredUpTo: UInt64 = 0

    init() {}

    func lastSequence(of stream: StreamID) -> UInt64? {
        var lo = 0
        var hi = streams.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if streams[mid] == stream { return lastSequences[mid] }
            if streams[mid] < stream { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    var count: Int { streams.count }

    /// The heads after also covering a sealed segment whose streams are given sorted with their last sequences.
    func merging(sorted updates: [(StreamID, UInt64)], coveredUpTo next: UInt64) -> StreamHeads {
        var out = StreamHeads()
        out.coveredUpTo = next
        out.streams.reserveCapacity(streams.count + updates.count)
        out.lastSequences.reserveCapacity(streams.count + updates.count)
        var i = 0
        var j = 0
        while i < streams.count || j < updates.count {
            if j == updates.count || (i < streams.count && streams[i] < updates[j].0) {
                out.streams.append(streams[i])
                out.lastSequences.append(lastSequences[i])
                i += 1
            } else {
                if i < streams.count && streams[i] == updates[j].0 { i += 1 }
                out.streams.append(updates[j].0)
                out.lastSequences.append(updates[j].1)
                j += 1
            }
        }
        return out
    }

    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 32 + streams.count * 20)
        w.writeBytes(SegmentFiles.headsMagic)
        w.writeUInt16(SegmentFiles.formatVersion)
        w.writeUInt16(0)
        w.writeUInt32(UInt32(streams.count))
        w.writeUInt64(coveredUpTo)
        for (s, q) in zip(streams, lastSequences) {
            w.writeUInt16(s.kind)
            w.writeUInt16(0)
            w.writeUInt64(s.id)
            w.writeUInt64(q)
        }
        w.writeUInt32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], file: String) throws(JournalError) -> StreamHeads {
        guard bytes.count >= 28, Array(bytes[0..<8]) == SegmentFiles.headsMagic else {
            throw JournalError(.corruption, "stream heads header is damaged", file: file, offset: 0)
        }
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self).littleEndian }
        guard CRC32C.checksum(Array(bytes[0..<(bytes.count - 4)])) == stored else {
            throw JournalError(.corruption, "stream heads checksum mismatch", file: file, offset: bytes.count - 4)
        }
        return try bytes.withBytes { (raw) throws(JournalError) in
            var r = ByteReader(raw, offset: 12)
            let count = Int(try r.readUInt32())
            guard 28 + count * 20 == bytes.count else {
                throw JournalError(.corruption, "stream heads length does not match its count", file: file, offset: 8)
            }
            var h = StreamHeads()
            h.coveredUpTo = try r.readUInt64()
            h.streams.reserveCapacity(count)
            h.lastSequences.reserveCapacity(count)
            for _ in 0..<count {
                let kind = try r.readUInt16()
                _ = try r.readUInt16()
                h.streams.append(StreamID(kind: kind, id: try r.readUInt64()))
                h.lastSequences.append(try r.readUInt64())
            }
            return h
        }
    }
}
