/// Walks the frames of one segment's bytes: checks each frame, rebuilds the segment's indexes, and finds
/// where valid data ends. Pure: it reads a byte array and returns what it found.
struct SegmentScanner {
    struct Result {
        var batches: [BatchEntry] = []
        var streams: StreamRuns
        /// Bytes from the start of the file up to the end of the last valid frame.
        var validLength: Int
        var nextPosition: UInt64
        var lastHash: [UInt8]?
        /// Set when bytes after `validLength` do not form a valid frame (a torn tail if nothing valid follows).
        var invalidTail: (offset: Int, reason: String)?
    }

    let file: String
    let basePosition: UInt64
    /// Also rebuild the stream index (needs decompression); position and time need only headers.
    let buildStreams: Bool

    /// Scans `bytes` (a whole segment file). Throws `.corruption` when an invalid frame is followed by a valid
    /// one (damage in the middle, never silently skipped) or when positions or sequences do not follow on.
    func scan(_ bytes: [UInt8]) throws(JournalError) -> Result {
        try SegmentFiles.checkSegmentHeader(bytes, base: basePosition, file: file)
        var result = Result(
            streams: StreamRuns(basePosition: basePosition), validLength: SegmentFiles.segmentHeaderSize,
            nextPosition: basePosition)
        var offset = SegmentFiles.segmentHeaderSize
        try bytes.withBytes { (raw) throws(JournalError) in
            while offset < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                let header: FrameHeader
                do throws(JournalError) {
                    header = try FrameCodec.validate(rest)
                } catch {
                    if error.code == .unsupportedVersion { throw error.located(file: file, offset: offset) }
                    if let later = Self.findValidFrame(in: raw, after: offset) {
                        throw JournalError(
                            .corruption,
                            "damaged batch frame (\(error.message)) followed by a valid frame at byte \(later)",
                            file: file, offset: offset)
                    }
                    result.invalidTail = (offset, error.message)
                    return
                }
                guard header.firstPosition == result.nextPosition else {
                    throw JournalError(
                        .corruption,
                        "batch starts at position \(header.firstPosition), expected \(result.nextPosition)",
                        file: file, offset: offset)
                }
                let frame = UnsafeRawBufferPointer(rebasing: rest[0..<header.frameLength])
                if buildStreams {
                    var broken: (StreamID, UInt64)?
                    var position = header.firstPosition
                    do throws(JournalError) {
                        try FrameCodec.withRecordsBlock(frame, header: header) { (block) throws(JournalError) in
                            try RecordCodec.decodeIndexFields(block, header: header) { stream, sequence in
                                if !result.streams.add(stream: stream, sequence: sequence, position: position),
                                    broken == nil
                                {
                                    broken = (stream, sequence)
                                }
                                position += 1
                            }
                        }
                    } catch {
                        throw error.located(file: file, offset: offset)
                    }
                    if let (stream, sequence) = broken {
                        throw JournalError(
                            .corruption, "stream \(stream) jumps to sequence \(sequence) inside the segment",
                            file: file, offset: offset)
                    }
                }
                result.batches.append(
                    BatchEntry(
                        firstPosition: header.firstPosition, offset: UInt64(offset),
                        recordedAt: header.recordedAt.microseconds, eventCount: UInt32(header.eventCount),
                        frameLength: UInt32(header.frameLength)))
                result.nextPosition = header.nextPosition
                offset += header.frameLength
                result.validLength = offset
                if offset >= raw.count { result.lastHash = FrameCodec.hash(ofFrame: frame, header: header) }
            }
        }
        if result.lastHash == nil, let last = result.batches.last {
            // The tail was invalid: the hash must come from the last valid frame.
            result.lastHash = bytes.withUnsafeBytes { raw in
                let frame = UnsafeRawBufferPointer(rebasing: raw[Int(last.offset)..<(Int(last.offset) + Int(last.frameLength))])
                return (try? FrameCodec.validate(frame)).map { FrameCodec.hash(ofFrame: frame, header: $0) }
            }
        }
        return result
    }

    /// The offset of the first byte after `offset` where a complete, checksummed frame starts, if any.
    static func findValidFrame(in raw: UnsafeRawBufferPointer, after offset: Int) -> Int? {
        var i = offset + 1
        while i + FrameHeader.size + FrameHeader.trailerSize <= raw.count {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian == FrameHeader.magic,
                (try? FrameCodec.validate(UnsafeRawBufferPointer(rebasing: raw[i...]))) != nil
            {
                return i
            }
            i += 1
        }
        return nil
    }
}
