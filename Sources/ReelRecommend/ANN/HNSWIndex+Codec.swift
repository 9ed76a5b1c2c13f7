import ReelJournal

/// A model file that cannot be read back: what was wrong and where.
public struct ModelFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The index's persisted form (little-endian, fixed width): a header, then per node its label, level, removed
/// flag and upper-level offset, the unpadded vectors, the level-0 adjacency and the upper-level pool.
/// Deterministic: the same graph gives the same bytes, so a digest of it compares two processes' indexes.
extension HNSWIndex {
    static let magic: UInt32 = 0x5753_4E48  // "HNSW"
    static let formatVersion: UInt32 = 1

    public func serialize(into w: inout ByteWriter) {
        w.writeUInt32(Self.magic)
        w.writeUInt32(Self.formatVersion)
        w.writeUInt32(UInt32(dimension))
        w.writeUInt32(UInt32(parameters.m))
        w.writeUInt32(UInt32(parameters.efConstruction))
        w.writeUInt64(parameters.seed)
        w.writeUInt64(UInt64(count))
        w.writeUInt64(UInt64(upperCount))
        w.writeUInt32(UInt32(bitPattern: entryPoint))
        w.writeUInt32(UInt32(bitPattern: Int32(maxLevel)))
        for i in 0..<count {
            w.writeUInt64(labels[i])
            w.writeByte(levels[i])
            w.writeByte(removed[i] ? 1 : 0)
            w.writeUInt32(UInt32(bitPattern: upperOffset[i]))
        }
        for i in 0..<count { w.writeBytes(UnsafeRawBufferPointer(start: vectors + i * rowFloats, count: dimension * 4)) }
        w.writeBytes(UnsafeRawBufferPointer(start: links0, count: count * (m0 + 1) * 4))
        w.writeBytes(UnsafeRawBufferPointer(start: upperPool, count: upperCount * 4))
    }

    public func serialized() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + count * (14 + dimension * 4 + (m0 + 1) * 4) + upperCount * 4)
        serialize(into: &w)
        return w.bytes
    }

    /// Reads an index written by `serialize`, advancing `offset`.
    public static func deserialize(_ bytes: UnsafeRawBufferPointer, offset: inout Int) throws(ModelFileError) -> HNSWIndex {
        var r = RawReader(bytes: bytes, offset: offset)
        guard try r.u32() == magic else { throw ModelFileError("not an HNSW index (bad magic at byte \(offset))") }
        let version = try r.u32()
        guard version == formatVersion else { throw ModelFileError("HNSW index format \(version) is not supported (expected \(formatVersion))") }
        let dimension = Int(try r.u32())
        let m = Int(try r.u32())
        let efConstruction = Int(try r.u32())
        let seed = try r.u64()
        let count = Int(try r.u64())
        let upperCount = Int(try r.u64())
        guard (1...4096).contains(dimension), (2...256).contains(m), count >= 0, count < 1 << 31, upperCount >= 0 else {
            throw ModelFileError("HNSW header out of range (dimension \(dimension), m \(m), count \(count))")
        }
        let index = HNSWIndex(dimension: dimension, parameters: Parameters(m: m, efConstruction: efConstruction, seed: seed), initialCapacity: max(count, 16))
        index.entryPoint = Int32(bitPattern: try r.u32())
        index.maxLevel = Int(Int32(bitPattern: try r.u32()))
        index.labels.reserveCapacity(count)
        for node in 0..<count {
            let label = try r.u64()
            index.labels.append(label)
            index.levels.append(try r.u8())
            let gone = try r.u8() != 0
            index.removed.append(gone)
            if gone { index.removedCount += 1 }
            index.upperOffset.append(Int32(bitPattern: try r.u32()))
            index.nodeOfLabel[label] = UInt32(node)
        }
        for i in 0..<count {
            let v = index.vectors + i * index.rowFloats
            try r.copy(into: UnsafeMutableRawPointer(v), bytes: dimension * 4)
            (v + dimension).initialize(repeating: 0, count: index.rowFloats - dimension)
        }
        try r.copy(into: UnsafeMutableRawPointer(index.links0), bytes: count * (index.m0 + 1) * 4)
        index.appendUpper(zeros: upperCount)
        try r.copy(into: UnsafeMutableRawPointer(index.upperPool), bytes: upperCount * 4)
        index.count = count
        guard index.entryPoint < Int32(count), (count == 0) == (index.entryPoint < 0) else { throw ModelFileError("HNSW entry point \(index.entryPoint) out of range") }
        offset = r.offset
        return index
    }
}

/// Bounds-checked little-endian reads for model files.
struct RawReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    mutating func take(_ n: Int) throws(ModelFileError) -> Int {
        guard n >= 0, offset + n <= bytes.count else { throw ModelFileError("model file ends early: \(n) bytes wanted at byte \(offset) of \(bytes.count)") }
        defer { offset += n }
        return offset
    }
    mutating func u8() throws(ModelFileError) -> UInt8 { bytes[try take(1)] }
    mutating func u32() throws(ModelFileError) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self)) }
    mutating func u64() throws(ModelFileError) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self)) }
    mutating func f32() throws(ModelFileError) -> Float { Float(bitPattern: try u32()) }
    mutating func copy(into destination: UnsafeMutableRawPointer, bytes n: Int) throws(ModelFileError) {
        let start = try take(n)
        if n > 0 { destination.copyMemory(from: bytes.baseAddress! + start, byteCount: n) }
    }
}
