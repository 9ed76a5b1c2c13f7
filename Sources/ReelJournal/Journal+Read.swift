extension Journal {
    /// A cursor over committed events in position order, from `from` up to (not including) `to` or the
    /// committed end at the time of the call. Reads a bounded chunk at a time; memory stays flat.
    public func events(from: UInt64 = 0, to: UInt64? = nil, decryptPersonal: Bool = false) -> EventCursor {
        let (segments, end, startOffset) = index.withLock { ix in
            let refs = ix.segments.map { EventCursor.SegmentRef(base: $0.base, name: $0.name, handle: $0.handle, length: $0.length, nextPosition: $0.nextPosition) }
            // Start at the batch that holds `from` (found in the segment's batch list), not at the segment's first
            // frame: a follower asking for the newest events must not re-read the whole active segment.
            var offset = SegmentFiles.segmentHeaderSize
            if let seg = ix.segments.last(where: { $0.base <= from }) {
                var lo = 0, hi = seg.batches.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if seg.batches[mid].firstPosition <= from { lo = mid + 1 } else { hi = mid }
                }
                if lo > 0 { offset = Int(seg.batches[lo - 1].offset) }
            }
            return (refs, min(to ?? .max, ix.committedNext), offset)
        }
        return EventCursor(segments: segments, from: from, end: end, startOffset: startOffset, cipher: decryptPersonal ? configuration.cipher : nil)
    }

    /// The stream's current version: its last sequence, 0 if it has no events.
    public func version(of stream: StreamID) throws(JournalError) -> UInt64 {
        let (active, sealed) = index.withLock { ix in
            (ix.activeStreams.run(for: stream)?.lastSequence, ix.segments.dropLast())
        }
        if let active { return active }
        for seg in sealed.reversed() {
            if let e = try sealedStreams(seg).lookup(stream) { return e.lastSequence }
        }
        return 0
    }

    /// The events of one stream with sequence greater than `after`, at most `limit` of them, in order.
    /// Uses the stream indexes: cost grows with the events returned, not with the journal.
    public func readStream(
        _ stream: StreamID, after: UInt64 = 0, limit: Int = .max, decryptPersonal: Bool = false
    ) throws(JournalError) -> [RecordedEvent] {
        guard limit > 0 else { return [] }
        let (segments, activeRun) = index.withLock { ix -> ([IndexState.Segment], StreamRuns.Run?) in
            (ix.segments, ix.activeStreams.run(for: stream))
        }
        var positions: [UInt64] = []
        for (i, seg) in segments.enumerated() {
            let first: UInt64
            let count: Int
            let fetch: (Range<Int>) -> [UInt64]
            if i == segments.count - 1 {
                guard let run = activeRun else { continue }
                first = run.firstSequence
                count = run.offsets.count
                fetch = { r in r.map { seg.base + UInt64(run.offsets[$0]) } }
            } else {
                let sidx = try sealedStreams(seg)
                guard let e = sidx.lookup(stream) else { continue }
                first = e.firstSequence
                count = e.count
                fetch = { r in sidx.positions(e, r) }
            }
            let last = first + UInt64(count) - 1
            guard last > after else { continue }
            let startIndex = after >= first ? Int(after - first + 1) : 0
            let endIndex = startIndex + min(count - startIndex, limit - positions.count)
            positions.append(contentsOf: fetch(startIndex..<endIndex))
            if positions.count >= limit { break }
        }
        return try readPositions(positions, segments: segments, decryptPersonal: decryptPersonal)
    }

    /// The events at the given ascending positions. Each frame is validated and decompressed once per call
    /// (and kept in `frameCache` for the next one).
    func readPositions(
        _ positions: [UInt64], segments: [IndexState.Segment], decryptPersonal: Bool
    ) throws(JournalError) -> [RecordedEvent] {
        var out: [RecordedEvent] = []
        out.reserveCapacity(positions.count)
        var segIndex = 0
        var current: (batch: BatchEntry, entry: FrameCache.Entry)?
        for p in positions {
            while segIndex < segments.count - 1 && segments[segIndex + 1].base <= p { segIndex += 1 }
            let seg = segments[segIndex]
            if current == nil || p >= current!.batch.nextPosition || p < current!.batch.firstPosition {
                guard let bi = seg.batches.batchIndex(containing: p) else {
                    throw JournalError(.corruption, "no batch holds position \(p)", file: seg.name)
                }
                current = (seg.batches[bi], try frameEntry(seg.batches[bi], in: seg))
            }
            let (b, frame) = current!
            var e: RecordedEvent
            do throws(JournalError) {
                e = try frame.block.withBytes { (block) throws(JournalError) in
                    try RecordCodec.decodeOne(block, header: frame.header, layout: frame.layout, index: Int(p - b.firstPosition))
                }
            } catch {
                throw error.located(file: seg.name, offset: Int(b.offset))
            }
            if decryptPersonal { try e.openPersonal(with: configuration.cipher) }
            out.append(e)
        }
        return out
    }

    /// A frame's validated header and records block, from the cache or from disk.
    private func frameEntry(_ b: BatchEntry, in seg: IndexState.Segment) throws(JournalError) -> FrameCache.Entry {
        let key = FrameCache.Key(firstPosition: b.firstPosition, offset: b.offset, frameLength: b.frameLength)
        if let cached = frameCache.entry(key) { return cached }
        let frame = try seg.handle.read(at: Int(b.offset), count: Int(b.frameLength))
        let entry = try frame.withBytes { (raw) throws(JournalError) -> FrameCache.Entry in
            do throws(JournalError) {
                let h = try FrameCodec.validate(raw)
                let block = try FrameCodec.recordsBlock(raw, header: h)
                let layout = try block.withBytes { (b) throws(JournalError) in try RecordCodec.layout(b, header: h) }
                return FrameCache.Entry(header: h, block: block, layout: layout)
            } catch {
                throw error.located(file: seg.name, offset: Int(b.offset))
            }
        }
        frameCache.insert(key, entry)
        return entry
    }

    /// The last position recorded at or before `time`, or nil if the journal has nothing that old.
    public func lastPosition(atOrBefore time: Timestamp) -> UInt64? {
        index.withLock { ix -> UInt64? in
            var answer: UInt64?
            for seg in ix.segments {
                guard let first = seg.batches.first, first.recordedAt <= time.microseconds else { break }
                if let i = seg.batches.lastBatchIndex(atOrBefore: time.microseconds) {
                    answer = seg.batches[i].nextPosition - 1
                }
            }
            return answer
        }
    }

    /// The time a position was recorded.
    public func recordedAt(position: UInt64) -> Timestamp? {
        index.withLock { ix -> Timestamp? in
            guard let seg = ix.segments.last(where: { $0.base <= position }),
                let i = seg.batches.batchIndex(containing: position)
            else { return nil }
            return Timestamp(microseconds: seg.batches[i].recordedAt)
        }
    }

    func sealedStreams(_ seg: IndexState.Segment) throws(JournalError) -> SealedStreamIndex {
        if let cached = index.withLock({ $0.sealedStreams[seg.base] }) { return cached }
        let loaded = try SealedStreamIndexLoader(fs: fs, dir: directory, readOnly: configuration.readOnly).load(seg)
        index.withLock { $0.sealedStreams[seg.base] = loaded }
        return loaded
    }

    /// Bytes on disk: segments plus their index files and the stream heads.
    public func diskUsage() throws(JournalError) -> (segments: Int, indexes: Int) {
        var seg = 0
        var idx = 0
        for name in try fs.listDirectory(directory) {
            guard name.hasSuffix(".seg") || name.hasSuffix(".idx") || name.hasSuffix(".sidx") || name == SegmentFiles.headsFileName
            else { continue }
            let size = try fs.openFile("\(directory)/\(name)", create: false).size()
            if name.hasSuffix(".seg") { seg += size } else { idx += size }
        }
        // The active segment's indexes live in memory; count what they will take when sealed.
        idx += index.withLock { ix in
            (ix.segments.last?.batches.count ?? 0) * BatchEntry.encodedSize + ix.activeStreams.eventCount * 4
                + ix.activeStreams.runs.count * SealedStreamIndex.entrySize
        }
        return (seg, idx)
    }
}

extension RecordedEvent {
    /// Replaces sealed personal data with its plain text, or marks it erased when the key is gone.
    mutating func openPersonal(with cipher: (any PersonalDataCipher)?) throws(JournalError) {
        guard case .sealed(let subject, let bytes) = personal, let cipher else { return }
        if let plain = try cipher.open(subject: subject, sealed: bytes) {
            personal = .plain(PersonalData(subject: subject, bytes: plain))
        } else {
            personal = .erased(subject: subject)
        }
    }
}

/// Iterates committed events in position order, one decoded batch in memory at a time.
public struct EventCursor: Sendable {
    struct SegmentRef: Sendable {
        var base: UInt64
        var name: String
        var handle: any JournalFileHandle
        var length: Int
        var nextPosition: UInt64
    }

    private let segments: [SegmentRef]
    private let end: UInt64
    private let cipher: (any PersonalDataCipher)?
    private var position: UInt64
    private var segIndex = 0
    private var fileOffset = SegmentFiles.segmentHeaderSize
    private var chunk: [UInt8] = []
    private var chunkStart = 0
    private var chunkPos = 0
    private var batch: [RecordedEvent] = []
    private var batchIndex = 0
    /// Bytes read from disk per call.
    private let chunkSize = 4 << 20

    /// `startOffset`: where in the segment holding `from` the batch holding it begins.
    init(segments: [SegmentRef], from: UInt64, end: UInt64, startOffset: Int, cipher: (any PersonalDataCipher)?) {
        self.segments = segments
        self.end = end
        self.cipher = cipher
        self.position = from
        segIndex = max(0, (segments.lastIndex { $0.base <= from }) ?? 0)
        fileOffset = startOffset
    }

    /// The next event, or nil at the end. Throws on damaged data, naming segment and offset.
    public mutating func next() throws(JournalError) -> RecordedEvent? {
        while true {
            if batchIndex < batch.count {
                var e = batch[batchIndex]
                batchIndex += 1
                guard e.position < end else { return nil }
                if e.position < position { continue }
                position = e.position + 1
                if cipher != nil { try e.openPersonal(with: cipher) }
                return e
            }
            guard position < end, try loadNextBatch() else { return nil }
        }
    }

    /// The next whole batch of events (positions before `from` or from `to` on trimmed), or nil at the end.
    public mutating func nextBatch() throws(JournalError) -> [RecordedEvent]? {
        var out: [RecordedEvent] = []
        while let e = try next() {
            out.append(e)
            if batchIndex >= batch.count { break }
        }
        return out.isEmpty ? nil : out
    }

    private mutating func loadNextBatch() throws(JournalError) -> Bool {
        while segIndex < segments.count {
            let seg = segments[segIndex]
            if fileOffset >= seg.length || seg.nextPosition <= position {
                segIndex += 1
                fileOffset = SegmentFiles.segmentHeaderSize
                chunk = []
                chunkStart = 0
                chunkPos = 0
                continue
            }
            // Make sure the chunk holds a whole frame at fileOffset.
            if fileOffset < chunkStart || fileOffset + FrameHeader.size > chunkStart + chunk.count {
                try refill(seg, at: fileOffset, atLeast: FrameHeader.size)
            }
            let header: FrameHeader
            do throws(JournalError) {
                header = try chunk.withBytes { (raw) throws(JournalError) in
                    try FrameHeader.parse(UnsafeRawBufferPointer(rebasing: raw[(fileOffset - chunkStart)...]))
                }
            } catch {
                throw JournalError(.corruption, "damaged frame header: \(error.message)", file: seg.name, offset: fileOffset)
            }
            if fileOffset + header.frameLength > chunkStart + chunk.count {
                try refill(seg, at: fileOffset, atLeast: header.frameLength)
            }
            let offsetInChunk = fileOffset - chunkStart
            let frameOffset = fileOffset
            fileOffset += header.frameLength
            if header.nextPosition <= position { continue }
            batch.removeAll(keepingCapacity: true)
            batchIndex = 0
            try chunk.withBytes { (raw) throws(JournalError) in
                let frame = UnsafeRawBufferPointer(rebasing: raw[offsetInChunk..<(offsetInChunk + header.frameLength)])
                do throws(JournalError) {
                    _ = try FrameCodec.validate(frame)
                    try FrameCodec.decodeEvents(frame, header: header, into: &batch)
                } catch {
                    throw JournalError(.corruption, error.message, file: seg.name, offset: frameOffset)
                }
            }
            return true
        }
        return false
    }

    private mutating func refill(_ seg: SegmentRef, at offset: Int, atLeast: Int) throws(JournalError) {
        let want = min(max(chunkSize, atLeast), seg.length - offset)
        guard want >= atLeast else {
            throw JournalError(.corruption, "frame runs past the committed end of the segment", file: seg.name, offset: offset)
        }
        chunk = try seg.handle.read(at: offset, count: want)
        chunkStart = offset
        guard chunk.count >= atLeast else {
            throw JournalError(.corruption, "segment is shorter than its index says", file: seg.name, offset: offset)
        }
    }
}
