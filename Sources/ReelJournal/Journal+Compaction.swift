/// What a compaction did.
public struct CompactionReport: Sendable, Hashable {
    public var segmentsRewritten = 0
    public var eventsRewritten = 0
    public var bytesBefore = 0
    public var bytesAfter = 0
}

extension Journal {
    /// Rewrites sealed segments whose every batch was recorded before `cutoff`, replacing the payload of each
    /// event for which `rewrite` returns new bytes (nil keeps it). Positions, streams, sequences, types, times,
    /// metadata and sealed personal data stay; only payloads shrink. The rewritten segment's batches are
    /// chained afresh from the same predecessor, and an anchor file records its original last hash, which the
    /// next segment links to (see `Journal/FORMAT.md`, "Compaction"). Audits of a compacted range see the
    /// rewritten payloads: that is the trade this makes for bounded growth.
    ///
    /// Crash-safe: the rewrite goes to `NNNN.seg.compacting`, is synced, the anchor is written, and only then
    /// does a rename replace the segment. Readers holding the old file keep reading it.
    public func compact(recordedBefore cutoff: Timestamp, rewrite: (RecordedEvent) -> [UInt8]?) throws(JournalError) -> CompactionReport {
        guard !configuration.readOnly else { throw JournalError(.invalidArgument, "a read-only journal cannot be compacted") }
        var report = CompactionReport()
        let candidates = index.withLock { ix in
            ix.segments.dropLast().filter { ($0.batches.last?.recordedAt ?? .max) < cutoff.microseconds }.map(\.base)
        }
        for base in candidates where try !isCompacted(base) {
            try compactSegment(base: base, rewrite: rewrite, report: &report)
        }
        return report
    }

    /// Whether a segment was compacted already (its anchor names its current last hash), so that periodic
    /// runs read only segments that became old since. An anchor naming the original hash is an interrupted
    /// compaction: not done.
    private func isCompacted(_ base: UInt64) throws(JournalError) -> Bool {
        guard let (segment, anchor) = index.withLock({ ix in ix.segments.first { $0.base == base }.map { ($0, ix.anchors[base]) } }),
              let anchor, let last = segment.batches.last
        else { return false }
        let frame = try segment.handle.read(at: Int(last.offset), count: Int(last.frameLength))
        let hash = try frame.withBytes { (raw) throws(JournalError) in FrameCodec.hash(ofFrame: raw, header: try FrameCodec.validate(raw)) }
        return hash == anchor.compactedLastHash
    }

    private func compactSegment(base: UInt64, rewrite: (RecordedEvent) -> [UInt8]?, report: inout CompactionReport) throws(JournalError) {
        guard let (segment, anchor) = index.withLock({ ix in ix.segments.first { $0.base == base }.map { ($0, ix.anchors[base]) } }) else { return }
        let bytes = try segment.handle.read(at: 0, count: segment.length)
        var out = Array(bytes[0..<SegmentFiles.segmentHeaderSize])
        var batches: [BatchEntry] = []
        var previous: [UInt8]?
        var lastOriginalHash = FrameCodec.zeroHash
        var changed = false
        var rewritten = 0
        try bytes.withBytes { (raw) throws(JournalError) in
            var offset = SegmentFiles.segmentHeaderSize
            while offset < raw.count {
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                let h = try FrameCodec.validate(rest)
                let frame = UnsafeRawBufferPointer(rebasing: rest[0..<h.frameLength])
                lastOriginalHash = FrameCodec.hash(ofFrame: frame, header: h)
                var events: [RecordedEvent] = []
                try FrameCodec.decodeEvents(frame, header: h, into: &events)
                var pending: [RecordCodec.Pending] = []
                var batchChanged = false
                for e in events {
                    var payload = e.payload
                    if let new = rewrite(e), new != payload {
                        payload = new
                        batchChanged = true
                        rewritten += 1
                    }
                    var sealed: [UInt8]?
                    var personal: PersonalData?
                    if case .sealed(let subject, let ciphertext) = e.personal {
                        sealed = ciphertext
                        personal = PersonalData(subject: subject, bytes: [])
                    } else if let p = e.personal {
                        // Decoding without a cipher leaves personal data sealed; anything else cannot be rewritten.
                        throw JournalError(.invalidArgument, "event \(e.position) has unsealed personal data (\(p.subject))")
                    }
                    pending.append(
                        RecordCodec.Pending(
                            stream: e.stream, sequence: e.sequence,
                            event: NewEvent(type: e.type, version: e.version, metadata: e.metadata, payload: payload, personal: personal),
                            sealedPersonal: sealed))
                }
                let predecessor = previous ?? h.previousHash
                if batchChanged || changed {
                    changed = true
                    let level: Int32 = h.compression == .none ? 0 : max(1, configuration.compressionLevel)
                    let (newFrame, hash) = try FrameCodec.encode(
                        records: pending[...], firstPosition: h.firstPosition, recordedAt: h.recordedAt, previousHash: predecessor,
                        compressionLevel: level)
                    batches.append(BatchEntry(firstPosition: h.firstPosition, offset: UInt64(out.count), recordedAt: h.recordedAt.microseconds,
                                              eventCount: UInt32(h.eventCount), frameLength: UInt32(newFrame.count)))
                    out.append(contentsOf: newFrame)
                    previous = hash
                } else {
                    batches.append(BatchEntry(firstPosition: h.firstPosition, offset: UInt64(out.count), recordedAt: h.recordedAt.microseconds,
                                              eventCount: UInt32(h.eventCount), frameLength: UInt32(h.frameLength)))
                    out.append(contentsOf: frame)
                    previous = lastOriginalHash
                }
                offset += h.frameLength
            }
        }
        guard changed, let newLastHash = previous else { return }
        let dir = directory
        let temporary = "\(dir)/\(segment.name).compacting"
        let file = try fs.openFile(temporary, create: true)
        try file.truncate(to: 0)
        try file.write(out, at: 0)
        try file.sync()
        file.close()
        // The anchor first: a crash before the rename leaves the original segment, which still links directly.
        let newAnchor = CompactionAnchor(base: base, originalLastHash: anchor?.originalLastHash ?? lastOriginalHash, compactedLastHash: newLastHash)
        try writeFileAtomically(fs, directory: dir, name: CompactionAnchor.fileName(base), bytes: newAnchor.encode())
        // Readers that copied the old entry keep reading the old file through its handle until they let go.
        try fs.rename(temporary, "\(dir)/\(segment.name)")
        try fs.syncDirectory(dir)
        let handle = try fs.openFile("\(dir)/\(segment.name)", create: false)
        index.withLock { ix in
            guard let i = ix.segments.firstIndex(where: { $0.base == base }) else { return }
            ix.segments[i] = IndexState.Segment(
                base: base, name: segment.name, handle: handle, length: out.count, nextPosition: segment.nextPosition, batches: batches)
            ix.anchors[base] = newAnchor
        }
        frameCache.removeAll()
        // The position index describes byte offsets, which moved; a crash before this is repaired on open.
        try writeFileAtomically(
            fs, directory: dir, name: SegmentFiles.indexName(base),
            bytes: SegmentFiles.encodeIndex(
                base: base, SegmentFiles.SealedIndex(batches: batches, length: out.count, nextPosition: segment.nextPosition, lastHash: newLastHash)))
        report.segmentsRewritten += 1
        report.eventsRewritten += rewritten
        report.bytesBefore += bytes.count
        report.bytesAfter += out.count
    }
}
