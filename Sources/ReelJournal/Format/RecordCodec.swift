/// Encodes and decodes the records block: the (uncompressed) body of a batch frame.
///
/// Layout (`Journal/FORMAT.md`, "Records block"): a table of event type names, then one record per event with
/// varint fields and a flags byte that says which optional fields follow.
enum RecordCodec {
    struct Flags {
        static let correlation: UInt8 = 1 << 0
        static let correlationIsStreamID: UInt8 = 1 << 1
        static let causation: UInt8 = 1 << 2
        static let actor: UInt8 = 1 << 3
        static let personal: UInt8 = 1 << 4
        static let known: UInt8 = 0x1f
    }

    /// One event ready to be written: the envelope fields the journal assigned plus the sealed personal data.
    struct Pending {
        var stream: StreamID
        var sequence: UInt64
        var event: NewEvent
        var sealedPersonal: [UInt8]?
    }

    static func encode(_ records: ArraySlice<Pending>, into w: inout ByteWriter) {
        var typeIndex: [String: Int] = [:]
        var types: [String] = []
        for r in records where typeIndex[r.event.type] == nil {
            typeIndex[r.event.type] = types.count
            types.append(r.event.type)
        }
        w.writeVarint(UInt64(types.count))
        for t in types { w.writeString(t) }
        for r in records {
            w.writeVarint(UInt64(r.stream.kind))
            w.writeVarint(r.stream.id)
            w.writeVarint(r.sequence)
            w.writeVarint(UInt64(typeIndex[r.event.type]!))
            w.writeVarint(UInt64(r.event.version))
            let m = r.event.metadata
            var flags: UInt8 = 0
            if let c = m.correlationID { flags |= c == r.stream.id ? Flags.correlationIsStreamID : Flags.correlation }
            if m.causationID != nil { flags |= Flags.causation }
            if m.actorID != nil { flags |= Flags.actor }
            if r.sealedPersonal != nil { flags |= Flags.personal }
            w.writeByte(flags)
            if flags & Flags.correlation != 0 { w.writeVarint(m.correlationID!) }
            if let c = m.causationID { w.writeVarint(c) }
            if let a = m.actorID { w.writeVarint(a) }
            w.writeLengthPrefixed(r.event.payload)
            if let sealed = r.sealedPersonal, let subject = r.event.personal?.subject {
                w.writeVarint(subject)
                w.writeLengthPrefixed(sealed)
            }
        }
    }

    /// Decodes every record of a block.
    static func decode(
        _ block: UnsafeRawBufferPointer, header: FrameHeader, into out: inout [RecordedEvent]
    ) throws(JournalError) {
        var r = ByteReader(block)
        let types = try readTypes(&r)
        out.reserveCapacity(out.count + header.eventCount)
        for i in 0..<header.eventCount {
            out.append(try decodeRecord(&r, types: types, position: header.firstPosition + UInt64(i), recordedAt: header.recordedAt))
        }
        guard r.isAtEnd else { throw .malformed("\(r.remaining) stray bytes after the last record") }
    }

    private static func decodeRecord(
        _ r: inout ByteReader, types: [String], position: UInt64, recordedAt: Timestamp
    ) throws(JournalError) -> RecordedEvent {
        let kind = try r.readVarint()
        guard kind <= UInt64(UInt16.max) else { throw .malformed("stream kind \(kind) out of range") }
        let stream = StreamID(kind: UInt16(kind), id: try r.readVarint())
        let sequence = try r.readVarint()
        let typeIdx = try r.readVarint()
        guard typeIdx < UInt64(types.count) else { throw .malformed("event type index \(typeIdx) out of range") }
        let version = try r.readVarint()
        guard version <= UInt64(UInt16.max) else { throw .malformed("schema version \(version) out of range") }
        let flags = try r.readByte()
        guard flags & ~Flags.known == 0 else { throw .malformed("unknown record flags \(flags)") }
        var meta = EventMetadata()
        if flags & Flags.correlation != 0 { meta.correlationID = try r.readVarint() }
        if flags & Flags.correlationIsStreamID != 0 { meta.correlationID = stream.id }
        if flags & Flags.causation != 0 { meta.causationID = try r.readVarint() }
        if flags & Flags.actor != 0 { meta.actorID = try r.readVarint() }
        let payload = try r.readLengthPrefixed()
        var personal: PersonalField?
        if flags & Flags.personal != 0 {
            let subject = try r.readVarint()
            personal = .sealed(subject: subject, nonceAndCiphertext: try r.readLengthPrefixed())
        }
        return RecordedEvent(
            position: position, stream: stream, sequence: sequence, recordedAt: recordedAt, type: types[Int(typeIdx)],
            version: UInt16(version), metadata: meta, payload: payload, personal: personal)
    }

    /// Decodes the record at `index` only, skipping the ones before it without allocating (stream reads
    /// want one event from each batch they touch).
    static func decodeOne(
        _ block: UnsafeRawBufferPointer, header: FrameHeader, index: Int
    ) throws(JournalError) -> RecordedEvent {
        var r = ByteReader(block)
        let types = try readTypes(&r)
        for _ in 0..<index { try skipRecord(&r) }
        return try decodeRecord(&r, types: types, position: header.firstPosition + UInt64(index), recordedAt: header.recordedAt)
    }

    /// A block's type table and where each of its records starts: what reading single records of a block
    /// again and again needs (the frame cache keeps it beside the block).
    struct BlockLayout: Sendable {
        let types: [String]
        let offsets: [UInt32]
    }

    static func layout(_ block: UnsafeRawBufferPointer, header: FrameHeader) throws(JournalError) -> BlockLayout {
        var r = ByteReader(block)
        let types = try readTypes(&r)
        var offsets: [UInt32] = []
        offsets.reserveCapacity(header.eventCount)
        for _ in 0..<header.eventCount {
            offsets.append(UInt32(r.offset))
            try skipRecord(&r)
        }
        guard r.isAtEnd else { throw .malformed("\(r.remaining) stray bytes after the last record") }
        return BlockLayout(types: types, offsets: offsets)
    }

    /// Record `index` of a block whose layout is known.
    static func decodeOne(
        _ block: UnsafeRawBufferPointer, header: FrameHeader, layout: BlockLayout, index: Int
    ) throws(JournalError) -> RecordedEvent {
        guard index >= 0, index < layout.offsets.count else { throw .malformed("record \(index) is not in a block of \(layout.offsets.count)") }
        var r = ByteReader(block, offset: Int(layout.offsets[index]))
        return try decodeRecord(&r, types: layout.types, position: header.firstPosition + UInt64(index), recordedAt: header.recordedAt)
    }

    private static func skipRecord(_ r: inout ByteReader) throws(JournalError) {
        for _ in 0..<3 { _ = try r.readVarint() }
        try skipRecordTail(&r)
    }

    /// Skips a record's fields after stream and sequence.
    private static func skipRecordTail(_ r: inout ByteReader) throws(JournalError) {
        _ = try r.readVarint()
        _ = try r.readVarint()
        let flags = try r.readByte()
        if flags & Flags.correlation != 0 { _ = try r.readVarint() }
        if flags & Flags.causation != 0 { _ = try r.readVarint() }
        if flags & Flags.actor != 0 { _ = try r.readVarint() }
        try r.skip(Int(clamping: try r.readVarint()))
        if flags & Flags.personal != 0 {
            _ = try r.readVarint()
            try r.skip(Int(clamping: try r.readVarint()))
        }
    }

    /// Decodes only what the indexes need (stream and sequence of each record), skipping payloads.
    static func decodeIndexFields(
        _ block: UnsafeRawBufferPointer, header: FrameHeader, _ visit: (StreamID, UInt64) -> Void
    ) throws(JournalError) {
        var r = ByteReader(block)
        _ = try readTypes(&r)
        for _ in 0..<header.eventCount {
            let kind = try r.readVarint()
            guard kind <= UInt64(UInt16.max) else { throw .malformed("stream kind \(kind) out of range") }
            let stream = StreamID(kind: UInt16(kind), id: try r.readVarint())
            let sequence = try r.readVarint()
            try skipRecordTail(&r)
            visit(stream, sequence)
        }
        guard r.isAtEnd else { throw .malformed("\(r.remaining) stray bytes after the last record") }
    }

    private static func readTypes(_ r: inout ByteReader) throws(JournalError) -> [String] {
        let n = try r.readVarint()
        guard n <= UInt64(r.remaining) else { throw .malformed("type table of \(n) entries cannot fit") }
        var types: [String] = []
        types.reserveCapacity(Int(n))
        for _ in 0..<n { types.append(try r.readString()) }
        return types
    }
}
