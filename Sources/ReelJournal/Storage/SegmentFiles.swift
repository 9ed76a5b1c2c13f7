/// Names and fixed-layout files of the journal directory (see `Journal/FORMAT.md`, "Files").
enum SegmentFiles {
    static let segmentMagic: [UInt8] = Array("REELJSEG".utf8)
    static let indexMagic: [UInt8] = Array("REELJIDX".utf8)
    static let headsMagic: [UInt8] = Array("REELJHDS".utf8)
    static let segmentHeaderSize = 32
    static let formatVersion: UInt16 = 1
    static let headsFileName = "streams.heads"

    /// Segment files are named by their base position, zero-padded so names sort like positions.
    static func segmentName(_ base: UInt64) -> String { padded(base) + ".seg" }
    static func indexName(_ base: UInt64) -> String { padded(base) + ".idx" }
    static func streamIndexName(_ base: UInt64) -> String { padded(base) + ".sidx" }

    static func padded(_ v: UInt64) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s
    }

    static func baseOfSegment(named name: String) -> UInt64? {
        guard name.hasSuffix(".seg"), name.count == 24 else { return nil }
        return UInt64(name.prefix(20))
    }

    static func segmentHeader(base: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: segmentHeaderSize)
        w.writeBytes(segmentMagic)
        w.writeUInt16(formatVersion)
        w.writeUInt16(0)
        w.writeUInt32(0)
        w.writeUInt64(base)
        w.writeUInt32(0)
        w.writeUInt32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    static func checkSegmentHeader(_ bytes: [UInt8], base: UInt64, file: String) throws(JournalError) {
        guard bytes.count >= segmentHeaderSize else {
            throw JournalError(.corruption, "segment header is cut short", file: file, offset: 0)
        }
        guard Array(bytes[0..<8]) == segmentMagic else {
            throw JournalError(.corruption, "not a Reel journal segment (bad magic)", file: file, offset: 0)
        }
        let crc = CRC32C.checksum(Array(bytes[0..<28]))
        let (version, storedBase, storedCRC) = bytes.withUnsafeBytes {
            (
                $0.loadUnaligned(fromByteOffset: 8, as: UInt16.self).littleEndian,
                $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian,
                $0.loadUnaligned(fromByteOffset: 28, as: UInt32.self).littleEndian
            )
        }
        guard storedCRC == crc else {
            throw JournalError(.corruption, "segment header checksum mismatch", file: file, offset: 0)
        }
        guard version == formatVersion else {
            throw JournalError(.unsupportedVersion, "segment format version \(version); this code reads \(formatVersion)", file: file)
        }
        guard storedBase == base else {
            throw JournalError(.corruption, "segment header says base \(storedBase), its name says \(base)", file: file, offset: 16)
        }
    }

    /// What a sealed segment's `.idx` file records: its batches and how it ends.
    struct SealedIndex {
        var batches: [BatchEntry]
        var length: Int
        var nextPosition: UInt64
        var lastHash: [UInt8]
    }

    static func encodeIndex(base: UInt64, _ idx: SealedIndex) -> [UInt8] {
        var w = ByteWriter(capacity: 24 + idx.batches.count * BatchEntry.encodedSize + 52)
        w.writeBytes(indexMagic)
        w.writeUInt16(formatVersion)
        w.writeUInt16(0)
        w.writeUInt32(UInt32(idx.batches.count))
        w.writeUInt64(base)
        for b in idx.batches { b.encode(into: &w) }
        w.writeUInt64(UInt64(idx.length))
        w.writeUInt64(idx.nextPosition)
        w.writeBytes(idx.lastHash)
        w.writeUInt32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    static func decodeIndex(_ bytes: [UInt8], base: UInt64, file: String) throws(JournalError) -> SealedIndex {
        guard bytes.count >= 24 + 52, Array(bytes[0..<8]) == indexMagic else {
            throw JournalError(.corruption, "position index header is damaged", file: file, offset: 0)
        }
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 4, as: UInt32.self).littleEndian }
        guard CRC32C.checksum(Array(bytes[0..<(bytes.count - 4)])) == stored else {
            throw JournalError(.corruption, "position index checksum mismatch", file: file, offset: bytes.count - 4)
        }
        return try bytes.withBytes { (raw) throws(JournalError) in
            var r = ByteReader(raw, offset: 8)
            _ = try r.readUInt16()
            _ = try r.readUInt16()
            let count = Int(try r.readUInt32())
            guard try r.readUInt64() == base, 24 + count * BatchEntry.encodedSize + 52 == bytes.count else {
                throw JournalError(.corruption, "position index does not match its segment", file: file, offset: 0)
            }
            var batches: [BatchEntry] = []
            batches.reserveCapacity(count)
            for _ in 0..<count { batches.append(try BatchEntry.decode(&r)) }
            let length = Int(try r.readUInt64())
            let next = try r.readUInt64()
            let hash = try r.readBytes(32)
            return SealedIndex(batches: batches, length: length, nextPosition: next, lastHash: hash)
        }
    }
}
