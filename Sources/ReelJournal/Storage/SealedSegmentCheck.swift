import Foundation
import Synchronization

/// The check a sealed segment gets at open when its `.idx` is trusted: the header, then every frame the index
/// names, back to back from the header to the end of the file, each with its magic, length, first position
/// and CRC-32C. A byte flipped anywhere in the segment fails one of them, so a damaged segment is refused at
/// open (naming file and offset) rather than found by the first read that reaches it, after the server said
/// it was ready (issue 24). The hash chain is `reel journal verify`'s job: this looks for damage, not tampering.
///
/// The cost is one read and one CRC pass over the sealed bytes (Docs/Performance.md, "Opening a journal").
struct SealedSegmentCheck {
    let name: String
    let handle: any JournalFileHandle
    let length: Int
    let base: UInt64
    let batches: [BatchEntry]

    /// Reads the segment in pieces of about this many bytes (whole frames), so memory stays bounded.
    static let pieceBytes = 4 << 20

    func run() throws(JournalError) {
        try SegmentFiles.checkSegmentHeader(
            try handle.read(at: 0, count: SegmentFiles.segmentHeaderSize), base: base, file: name)
        var offset = SegmentFiles.segmentHeaderSize
        var i = 0
        while i < batches.count {
            // Whole frames from `i` up to about `pieceBytes` (at least one).
            var j = i
            var end = offset
            repeat {
                let b = batches[j]
                guard Int(b.offset) == end else {
                    throw JournalError(
                        .corruption, "the position index places the frame of position \(b.firstPosition) at offset \(b.offset), "
                            + "where the previous frame ends at \(end)", file: name, offset: end)
                }
                end += Int(b.frameLength)
                j += 1
            } while j < batches.count && end - offset < Self.pieceBytes
            guard end <= length else {
                throw JournalError(.corruption, "frames run past the segment's end (\(length) bytes)", file: name, offset: length)
            }
            let bytes = try handle.read(at: offset, count: end - offset)
            guard bytes.count == end - offset else {
                throw JournalError(.corruption, "segment is cut short at \(offset + bytes.count) bytes", file: name, offset: offset + bytes.count)
            }
            try bytes.withBytes { (raw) throws(JournalError) in
                var at = 0
                for b in batches[i..<j] {
                    let frame = UnsafeRawBufferPointer(rebasing: raw[at..<(at + Int(b.frameLength))])
                    let header: FrameHeader
                    do throws(JournalError) {
                        header = try FrameCodec.validate(frame)
                    } catch {
                        throw JournalError(
                            .corruption, "sealed frame of positions from \(b.firstPosition) is damaged (\(error.message))",
                            file: name, offset: offset + at)
                    }
                    guard header.frameLength == Int(b.frameLength), header.firstPosition == b.firstPosition,
                        header.eventCount == Int(b.eventCount)
                    else {
                        throw JournalError(
                            .corruption, "sealed frame disagrees with the position index (position \(header.firstPosition), "
                                + "\(header.eventCount) events; the index says \(b.firstPosition), \(b.eventCount))",
                            file: name, offset: offset + at)
                    }
                    at += Int(b.frameLength)
                }
            }
            offset = end
            i = j
        }
        guard offset == length else {
            throw JournalError(
                .corruption, "\(length - offset) bytes after the last indexed frame", file: name, offset: offset)
        }
    }

    /// Checks the segments on all cores; the first damage (lowest base) is thrown.
    static func runAll(_ checks: [SealedSegmentCheck]) throws(JournalError) {
        guard !checks.isEmpty else { return }
        let failures = Mutex<[Int: JournalError]>([:])
        let next = Atomic<Int>(0)
        let workers = min(checks.count, max(1, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard k < checks.count else { return }
                do throws(JournalError) {
                    try checks[k].run()
                } catch {
                    failures.withLock { $0[k] = error }
                }
            }
        }
        if let first = failures.withLock({ $0.min { $0.key < $1.key } }) { throw first.value }
    }
}
