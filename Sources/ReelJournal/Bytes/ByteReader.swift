/// Reads the journal's primitive encodings from a byte buffer, throwing `JournalError.malformed` instead of
/// trapping when the bytes run out or a value does not fit.
public struct ByteReader: ~Copyable {
    private let base: UnsafeRawBufferPointer
    public private(set) var offset: Int

    /// The buffer must outlive the reader; use it inside `withUnsafeBytes`.
    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.base = buffer
        self.offset = offset
    }

    public var remaining: Int { base.count - offset }
    public var isAtEnd: Bool { offset >= base.count }

    @inline(__always)
    public mutating func readByte() throws(JournalError) -> UInt8 {
        guard offset < base.count else { throw .malformed("unexpected end of data at byte \(offset)") }
        let b = base[offset]
        offset += 1
        return b
    }

    @inline(__always)
    public mutating func readVarint() throws(JournalError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < base.count else { throw .malformed("unexpected end of varint at byte \(offset)") }
            let b = base[offset]
            offset += 1
            if shift == 63 && b > 1 { throw .malformed("varint overflows 64 bits at byte \(offset - 1)") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw .malformed("varint longer than 10 bytes at byte \(offset - 1)") }
        }
    }

    public mutating func readZigzag() throws(JournalError) -> Int64 {
        let v = try readVarint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    public mutating func readUInt16() throws(JournalError) -> UInt16 { try readFixed(UInt16.self) }
    public mutating func readUInt32() throws(JournalError) -> UInt32 { try readFixed(UInt32.self) }
    public mutating func readUInt64() throws(JournalError) -> UInt64 { try readFixed(UInt64.self) }
    public mutating func readInt64() throws(JournalError) -> Int64 { Int64(bitPattern: try readFixed(UInt64.self)) }

    private mutating func readFixed<T: FixedWidthInteger>(_: T.Type) throws(JournalError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= base.count else { throw .malformed("unexpected end of data at byte \(offset)") }
        let v = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: v)
    }

    public mutating func readBytes(_ count: Int) throws(JournalError) -> [UInt8] {
        guard count >= 0, offset + count <= base.count else {
            throw .malformed("a field of \(count) bytes runs past the end at byte \(offset)")
        }
        let out = Array(base[offset..<(offset + count)])
        offset += count
        return out
    }

    public mutating func skip(_ count: Int) throws(JournalError) {
        guard count >= 0, offset + count <= base.count else {
            throw .malformed("a field of \(count) bytes runs past the end at byte \(offset)")
        }
        offset += count
    }

    public mutating func readLengthPrefixed() throws(JournalError) -> [UInt8] {
        let n = try readVarint()
        guard n <= UInt64(remaining) else { throw .malformed("length \(n) runs past the end at byte \(offset)") }
        return try readBytes(Int(n))
    }

    public mutating func readString() throws(JournalError) -> String {
        let n = try readVarint()
        guard n <= UInt64(remaining) else { throw .malformed("length \(n) runs past the end at byte \(offset)") }
        let bytes = UnsafeRawBufferPointer(rebasing: base[offset..<offset + Int(n)])
        offset += Int(n)
        // ASCII (most names, hashtags and captions) is valid UTF-8 as it is. `String(validating:as:)` is not
        // inlinable: every call instantiates its generic metadata (2 % of a views rebuild), so it is kept
        // for the rest.
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw .malformed("invalid UTF-8 in a string before byte \(offset)")
        }
        return s
    }
}
