/// How far the journal was durable when it last synced: the file `durable-head` in the journal directory
/// (`Journal/FORMAT.md`, "Durable head"). Recovery compares it with what the segments hold: a journal that
/// ends before it lost acknowledged writes (a cut file, damaged last frames, a deleted active segment), which
/// a torn tail never does, since a torn write was never synced and so never acknowledged as durable.
///
/// Written after each sync, never before: it can lag the data (a power cut may drop its own unsynced write),
/// never lead it. So it can miss a loss, but never report one that did not happen.
struct DurableHead: Equatable {
    static let fileName = "durable-head"
    static let size = 32
    static let magic: [UInt8] = Array("RDH1".utf8)

    /// Every position below this was durable.
    var nextPosition: UInt64
    /// The segment that was active then, and how long it was.
    var activeBase: UInt64
    var activeLength: UInt64

    func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.writeBytes(Self.magic)
        w.writeUInt64(nextPosition)
        w.writeUInt64(activeBase)
        w.writeUInt64(activeLength)
        w.writeUInt32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    /// Nil for a file that is not a whole, checksummed head (a write torn by a power cut): no claim then.
    static func decode(_ bytes: [UInt8]) -> DurableHead? {
        guard bytes.count == size, Array(bytes[0..<4]) == magic else { return nil }
        guard CRC32C.checksum(Array(bytes[0..<28])) == bytes[28..<32].enumerated().reduce(0, { $0 | UInt32($1.element) << (8 * $1.offset) })
        else { return nil }
        func word(_ at: Int) -> UInt64 { bytes[at..<at + 8].enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * $1.offset) } }
        return DurableHead(nextPosition: word(4), activeBase: word(12), activeLength: word(20))
    }
}
