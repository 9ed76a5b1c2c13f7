import Crypto

/// The result of `Journal.verify()`.
public struct VerifyReport: Sendable {
    public var segments = 0
    public var batches = 0
    public var events: UInt64 = 0
    public var bytes = 0
    /// SHA-256 of the newest batch: two journals with the same head hash hold the same events.
    public var headHash: [UInt8] = FrameCodec.zeroHash
    /// Every problem found, each naming its file and offset. Empty means the journal verifies.
    public var problems: [JournalError] = []
    /// What is not a problem but worth saying: a missing derived index, which the next writable open rebuilds.
    public var notes: [String] = []
    public var ok: Bool { problems.isEmpty }
}

extension Journal {
    /// Reads every byte of every segment: frame checksums, the hash chain from the first batch to the last,
    /// dense positions, and that each sealed segment's persisted index agrees with the segment. Costs a full
    /// read and a SHA-256 of the journal (the reason reopening does not do it).
    public func verify() -> VerifyReport {
        var report = VerifyReport()
        let (segments, anchors) = index.withLock { ($0.segments, $0.anchors) }
        var previousHash = FrameCodec.zeroHash
        var anchor: CompactionAnchor?
        var expected: UInt64 = 0
        for (i, seg) in segments.enumerated() {
            report.segments += 1
            let bytes: [UInt8]
            do throws(JournalError) {
                bytes = try seg.handle.read(at: 0, count: seg.length)
                try SegmentFiles.checkSegmentHeader(bytes, base: seg.base, file: seg.name)
            } catch {
                report.problems.append(error)
                return report
            }
            if seg.base != expected {
                report.problems.append(
                    JournalError(.missingSegment, "expected a segment starting at \(expected)", file: seg.name))
                return report
            }
            report.bytes += bytes.count
            var offset = SegmentFiles.segmentHeaderSize
            var batchesSeen: [BatchEntry] = []
            let failed: JournalError? = bytes.withUnsafeBytes { raw -> JournalError? in
                while offset < raw.count {
                    let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                    do throws(JournalError) {
                        let h = try FrameCodec.validate(rest)
                        guard CompactionAnchor.links(h.previousHash, after: previousHash, anchor: anchor) else {
                            return JournalError(
                                .corruption, "hash chain broken: batch does not link to the one before", file: seg.name,
                                offset: offset)
                        }
                        guard h.firstPosition == expected else {
                            return JournalError(
                                .corruption, "batch starts at \(h.firstPosition), expected \(expected)", file: seg.name,
                                offset: offset)
                        }
                        let frame = UnsafeRawBufferPointer(rebasing: rest[0..<h.frameLength])
                        var events: [RecordedEvent] = []
                        try FrameCodec.decodeEvents(frame, header: h, into: &events)
                        previousHash = FrameCodec.hash(ofFrame: frame, header: h)
                        anchor = nil
                        batchesSeen.append(
                            BatchEntry(
                                firstPosition: h.firstPosition, offset: UInt64(offset),
                                recordedAt: h.recordedAt.microseconds,
                                eventCount: UInt32(h.eventCount), frameLength: UInt32(h.frameLength)))
                        expected = h.nextPosition
                        report.batches += 1
                        report.events += UInt64(h.eventCount)
                        offset += h.frameLength
                    } catch {
                        return JournalError(.corruption, error.message, file: seg.name, offset: offset)
                    }
                }
                return nil
            }
            if let failed {
                report.problems.append(failed)
                return report
            }
            if i < segments.count - 1 {
                let idxName = SegmentFiles.indexName(seg.base)
                // An index is derived from its segment (checked above): missing is not damage.
                let missing = [idxName, SegmentFiles.streamIndexName(seg.base)].filter {
                    !fs.fileExists("\(directory)/\($0)")
                }
                if !missing.isEmpty {
                    report.notes.append(
                        "\(missing.joined(separator: " and ")) \(missing.count == 1 ? "is" : "are") missing: derived from \(seg.name), "
                            + "rebuilt when the journal is next opened for writing")
                } else {
                    do throws(JournalError) {
                        let idx = try SegmentFiles.decodeIndex(
                            try fs.openFile("\(directory)/\(idxName)", create: false).readAll(), base: seg.base,
                            file: idxName)
                        if idx.batches != batchesSeen || idx.lastHash != previousHash || idx.nextPosition != expected {
                            report.problems.append(
                                JournalError(.corruption, "position index disagrees with its segment", file: idxName))
                        }
                        _ = try sealedStreams(seg)
                    } catch {
                        report.problems.append(error)
                    }
                }
            }
            // A compacted segment's successor links to its original last hash, vouched for by the anchor.
            anchor = anchors[seg.base]
            // (It may also still name the original: a compaction stopped by a crash before its rename.)
            if let a = anchor, a.compactedLastHash != previousHash && a.originalLastHash != previousHash {
                report.problems.append(
                    JournalError(
                        .corruption, "compaction anchor does not match its segment",
                        file: CompactionAnchor.fileName(seg.base)))
            }
        }
        report.headHash = previousHash
        return report
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hexadecimal.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
