/// What links a compacted segment back into the hash chain (`NNNN.anchor`, see `Journal/FORMAT.md`,
/// "Compaction"). The next segment's first batch still names the segment's original last hash; the anchor says
/// which compacted last hash stands for it.
struct CompactionAnchor: Sendable, Hashable {
    static let magic: [UInt8] = Array("REELJANC".utf8)
    static let size = 8 + 2 + 2 + 4 + 8 + 32 + 32 + 4

    var base: UInt64
    /// The segment's last batch hash before any compaction: what the next segment links to.
    var originalLastHash: [UInt8]
    /// The last batch hash of the segment as it is now.
    var compactedLastHash: [UInt8]

    static func fileName(_ base: UInt64) -> String { SegmentFiles.padded(base) + ".anchor" }

    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.writeBytes(Self.magic)
        w.writeUInt16(1)
        w.writeUInt16(0)
        w.writeUInt32(0)
        w.writeUInt64(base)
        w.writeBytes(originalLastHash)
        w.writeBytes(compactedLastHash)
        w.writeUInt32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], file: String) throws(JournalError) -> CompactionAnchor {
        guard bytes.count == size, Array(bytes[0..<8]) == magic else {
            throw JournalError(.corruption, "compaction anchor is damaged", file: file, offset: 0)
        }
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: size - 4, as: UInt32.self).littleEndian }
        guard CRC32C.checksum(Array(bytes[0..<(size - 4)])) == stored else {
            throw JournalError(.corruption, "compaction anchor checksum mismatch", file: file, offset: size - 4)
        }
        return try bytes.withBytes { (raw) throws(JournalError) in
            var r = ByteReader(raw, offset: 8)
            guard try r.readUInt16() == 1 else { throw JournalError(.unsupportedVersion, "compaction anchor version", file: file) }
            _ = try r.readUInt16()
            _ = try r.readUInt32()
            return CompactionAnchor(base: try r.readUInt64(), originalLastHash: try r.readBytes(32), compactedLastHash: try r.readBytes(32))
        }
    }

    /// Whether a batch whose predecessor field is `previous` may follow a segment ending in `lastHash`.
    static func links(_ previous: [UInt8], after lastHash: [UInt8], anchor: CompactionAnchor?) -> Bool {
        previous == lastHash || (anchor.map { $0.compactedLastHash == lastHash && $0.originalLastHash == previous } ?? false)
    }
}
