/// An append-only byte buffer with the primitive encodings of the journal format.
///
/// Integers are little-endian; `varint` is unsigned LEB128 and `zigzag` maps signed values to unsigned ones
/// before LEB128, exactly as `Journal/FORMAT.md` specifies.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inline(__always)
    public mutating func writeByte(_ value: UInt8) { bytes.append(value) }

    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func writeZigzag(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func writeUInt16(_ value: UInt16) { writeFixed(value) }
    public mutating func writeUInt32(_ value: UInt32) { writeFixed(value) }
    public mutating func writeUInt64(_ value: UInt64) { writeFixed(value) }
    public mutating func writeInt64(_ value: Int64) { writeFixed(UInt64(bitPattern: value)) }

    private mutating func writeFixed<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    /// A varint length followed by the bytes.
    public mutating func writeLengthPrefixed<C: Collection>(_ data: C) where C.Element == UInt8 {
        writeVarint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    public mutating func writeString(_ value: String) {
        writeLengthPrefixed(Array(value.utf8))
    }

    /// Overwrites four bytes at `offset` (used to patch lengths and checksums after the fact).
    public mutating func patchUInt32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[offset + i] = raw[i] }
        }
    }

    public mutating func removeAll(keepingCapacity: Bool = true) {
        bytes.removeAll(keepingCapacity: keepingCapacity)
    }
}
