import Crypto

/// Builds and checks batch frames: header, compressed records block, CRC-32C trailer; and the hash chain.
///
/// A batch's hash is SHA-256 over the frame without its CRC trailer. Because the header contains the previous
/// batch's hash, each batch commits to everything before it.
public enum FrameCodec {
    public static let zeroHash = [UInt8](repeating: 0, count: 32)

    /// Encodes the records into one frame. Returns the frame bytes and the batch's hash.
    static func encode(
        records: ArraySlice<RecordCodec.Pending>, firstPosition: UInt64, recordedAt: Timestamp,
        previousHash: [UInt8], compressionLevel: Int32
    ) throws(JournalError) -> (frame: [UInt8], hash: [UInt8]) {
        var block = ByteWriter(capacity: records.count * 48 + 64)
        RecordCodec.encode(records, into: &block)
        let raw = block.bytes
        let compressed: [UInt8]
        var compression = FrameHeader.Compression.none
        if compressionLevel > 0 {
            let c = try raw.withBytes { (b) throws(JournalError) in try Zstd.compress(b, level: compressionLevel) }
            if c.count < raw.count {
                compressed = c
                compression = .zstd
            } else {
                compressed = raw
            }
        } else {
            compressed = raw
        }
        var w = ByteWriter(capacity: FrameHeader.size + compressed.count + FrameHeader.trailerSize)
        w.writeUInt32(FrameHeader.magic)
        w.writeUInt32(UInt32(FrameHeader.size + compressed.count + FrameHeader.trailerSize))
        w.writeByte(FrameHeader.currentVersion)
        w.writeByte(compression.rawValue)
        w.writeUInt16(0)
        w.writeUInt32(UInt32(records.count))
        w.writeUInt64(firstPosition)
        w.writeInt64(recordedAt.microseconds)
        w.writeUInt32(UInt32(raw.count))
        w.writeBytes(previousHash)
        w.writeBytes(compressed)
        let hash = w.bytes.withUnsafeBytes { Array(SHA256.hash(data: $0)) }
        let crc = CRC32C.checksum(w.bytes)
        w.writeUInt32(crc)
        return (w.bytes, hash)
    }

    /// Checks a complete frame's CRC and returns its header. `frame` must span exactly `header.frameLength`.
    public static func validate(_ frame: UnsafeRawBufferPointer) throws(JournalError) -> FrameHeader {
        let header = try FrameHeader.parse(frame)
        guard frame.count >= header.frameLength else {
            throw .malformed("frame of \(header.frameLength) bytes is cut short at \(frame.count)")
        }
        let body = UnsafeRawBufferPointer(rebasing: frame[0..<(header.frameLength - FrameHeader.trailerSize)])
        let stored = frame.loadUnaligned(fromByteOffset: header.frameLength - 4, as: UInt32.self).littleEndian
        guard CRC32C.checksum(body) == stored else { throw .malformed("frame checksum mismatch") }
        return header
    }

    /// The batch hash of a validated frame.
    public static func hash(ofFrame frame: UnsafeRawBufferPointer, header: FrameHeader) -> [UInt8] {
        Array(SHA256.hash(data: UnsafeRawBufferPointer(rebasing: frame[0..<(header.frameLength - FrameHeader.trailerSize)])))
    }

    /// Decompresses the records block of a validated frame and calls `body` with it.
    static func withRecordsBlock<T>(
        _ frame: UnsafeRawBufferPointer, header: FrameHeader,
        _ body: (UnsafeRawBufferPointer) throws(JournalError) -> T
    ) throws(JournalError) -> T {
        switch try payload(frame, header: header) {
        case .stored(let block): return try body(block)
        case .compressed(let block):
            let raw = try Zstd.decompress(block, expectedSize: header.uncompressedLength)
            return try raw.withBytes { (b) throws(JournalError) in try body(b) }
        }
    }

    /// A validated frame's records block as an array of its own (decompressed when the frame is compressed).
    static func recordsBlock(_ frame: UnsafeRawBufferPointer, header: FrameHeader) throws(JournalError) -> [UInt8] {
        switch try payload(frame, header: header) {
        case .stored(let block): return Array(block)
        case .compressed(let block): return try Zstd.decompress(block, expectedSize: header.uncompressedLength)
        }
    }

    private enum Payload {
        /// The records block as it is (its length checked against the header).
        case stored(UnsafeRawBufferPointer)
        /// zstd bytes of the records block.
        case compressed(UnsafeRawBufferPointer)
    }

    private static func payload(_ frame: UnsafeRawBufferPointer, header: FrameHeader) throws(JournalError) -> Payload {
        let payload = UnsafeRawBufferPointer(
            rebasing: frame[FrameHeader.size..<(header.frameLength - FrameHeader.trailerSize)])
        switch header.compression {
        case .none:
            guard payload.count == header.uncompressedLength else {
                throw .malformed("uncompressed block is \(payload.count) bytes, header says \(header.uncompressedLength)")
            }
            return .stored(payload)
        case .zstd:
            return .compressed(payload)
        }
    }

    /// Decodes all events of a validated frame.
    static func decodeEvents(
        _ frame: UnsafeRawBufferPointer, header: FrameHeader, into out: inout [RecordedEvent]
    ) throws(JournalError) {
        try withRecordsBlock(frame, header: header) { (block) throws(JournalError) in
            try RecordCodec.decode(block, header: header, into: &out)
        }
    }
}
