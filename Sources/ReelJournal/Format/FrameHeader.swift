/// The fixed, uncompressed header of a batch frame (see `Journal/FORMAT.md`, "Batch frames").
public struct FrameHeader: Hashable, Sendable {
    public static let magic: UInt32 = 0x3142_4A52  // "RJB1" little-endian
    public static let size = 68
    public static let trailerSize = 4
    public static let currentVersion: UInt8 = 1
    /// No valid frame is larger; a length beyond it is corruption, not a huge batch.
    public static let maxFrameLength = 256 << 20

    public enum Compression: UInt8, Sendable { case none = 0, zstd = 1 }

    public var frameLength: Int
    public var version: UInt8
    public var compression: Compression
    public var eventCount: Int
    public var firstPosition: UInt64
    public var recordedAt: Timestamp
    public var uncompressedLength: Int
    public var previousHash: [UInt8]

    public var nextPosition: UInt64 { firstPosition + UInt64(eventCount) }

    /// Parses and validates a header from the start of `buffer` (which must hold at least `size` bytes).
    /// Checks magic, version and plausible lengths; the checksum is checked by `FrameCodec.validate`.
    public static func parse(_ buffer: UnsafeRawBufferPointer) throws(JournalError) -> FrameHeader {
        guard buffer.count >= size else { throw .malformed("frame header needs \(size) bytes, have \(buffer.count)") }
        var r = ByteReader(buffer)
        guard try r.readUInt32() == magic else { throw .malformed("no frame magic") }
        let length = Int(try r.readUInt32())
        guard length >= size + trailerSize, length <= maxFrameLength else {
            throw .malformed("implausible frame length \(length)")
        }
        let version = try r.readByte()
        guard version == currentVersion else {
            throw JournalError(.unsupportedVersion, "batch format version \(version); this code reads \(currentVersion)")
        }
        guard let compression = Compression(rawValue: try r.readByte()) else {
            throw .malformed("unknown compression in frame header")
        }
        _ = try r.readUInt16()
        let count = Int(try r.readUInt32())
        let first = try r.readUInt64()
        let recordedAt = Timestamp(microseconds: try r.readInt64())
        let uncompressed = Int(try r.readUInt32())
        let prev = try r.readBytes(32)
        return FrameHeader(
            frameLength: length, version: version, compression: compression, eventCount: count,
            firstPosition: first, recordedAt: recordedAt, uncompressedLength: uncompressed, previousHash: prev)
    }
}
