/// Opening a journal directory: find the segments, trust their persisted indexes where they check out,
/// rebuild those that do not, scan the active segment and cut a torn tail.
struct Recovery {
    struct Output {
        var state: IndexState
        var writerState: WriterState
        var report: RecoveryReport
    }

    let configuration: JournalConfiguration
    var fs: any JournalFileSystem { configuration.fileSystem }
    var dir: String { configuration.directory }
    var readOnly: Bool { configuration.readOnly }

    func run() throws(JournalError) -> Output {
        var report = RecoveryReport()
        let listing = try fs.listDirectory(dir)
        var bases = listing.compactMap(SegmentFiles.baseOfSegment).sorted()
        // A compaction interrupted before its rename leaves its rewritten copy: the original is intact.
        for name in listing where name.hasSuffix(".compacting") {
            if !readOnly { try fs.remove("\(dir)/\(name)") }
            report.removedFiles.append(name)
        }
        var anchors: [UInt64: CompactionAnchor] = [:]
        for name in listing where name.hasSuffix(".anchor") {
            let a = try CompactionAnchor.decode(try fs.openFile("\(dir)/\(name)", create: false).readAll(), file: name)
            anchors[a.base] = a
        }

        // A crash while creating a segment can leave a file too short to hold its header: it never held events.
        if let last = bases.last {
            let name = SegmentFiles.segmentName(last)
            let h = try fs.openFile("\(dir)/\(name)", create: false)
            if try h.size() < SegmentFiles.segmentHeaderSize {
                h.close()
                if !readOnly {
                    try fs.remove("\(dir)/\(name)")
                    try fs.syncDirectory(dir)
                }
                report.removedFiles.append(name)
                bases.removeLast()
            }
        }
        if bases.isEmpty && !readOnly {
            try createSegment(base: 0)
            bases = [0]
        }
        guard let activeBase = bases.last else {
            // An empty read-only directory: nothing to read.
            return Output(
                state: IndexState(
                    segments: [], activeStreams: StreamRuns(basePosition: 0), committedNext: 0,
                    headHash: FrameCodec.zeroHash),
                writerState: WriterState(), report: report)
        }
        guard bases[0] == 0 else {
            throw JournalError(
                .missingSegment, "positions 0..<\(bases[0]) are missing: the first segment file is gone",
                file: SegmentFiles.segmentName(0))
        }

        var segments: [IndexState.Segment] = []
        var sealedStreams: [UInt64: SealedStreamIndex] = [:]
        var previousHash = FrameCodec.zeroHash
        var checks: [SealedSegmentCheck] = []
        for (i, base) in bases.dropLast().enumerated() {
            let (segment, lastHash, rebuiltStreams) = try openSealed(base: base, report: &report)
            if let s = rebuiltStreams {
                sealedStreams[base] = s  // rebuilt by a scan that checked every frame
            } else if configuration.checkSealedSegmentsAtOpen {
                checks.append(
                    SealedSegmentCheck(name: segment.name, handle: segment.handle, length: segment.length, base: base, batches: segment.batches))
            }
            guard segment.nextPosition == bases[i + 1] else {
                throw JournalError(
                    .missingSegment,
                    "positions \(segment.nextPosition)..<\(bases[i + 1]) are missing between \(segment.name) and "
                        + SegmentFiles.segmentName(bases[i + 1]),
                    file: SegmentFiles.segmentName(bases[i + 1]))
            }
            segments.append(segment)
            previousHash = lastHash
        }

        do {
            try SealedSegmentCheck.runAll(checks)
        } catch {
            var damaged = error
            damaged.message += ". Sealed segments never change, so these bytes were damaged on disk after they were written: "
                + "restore the journal from a backup (`reel backup restore`)"
            throw damaged
        }
        report.checkedSegments = checks.count

        let activeName = SegmentFiles.segmentName(activeBase)
        let handle = try fs.openFile("\(dir)/\(activeName)", create: false)
        let bytes = try handle.readAll()
        let scan = try SegmentScanner(file: activeName, basePosition: activeBase, buildStreams: true).scan(bytes)
        // Before anything is cut: a journal that ends before its durable head lost acknowledged writes.
        try checkDurableHead(activeBase: activeBase, activeName: activeName, scan: scan, fileLength: bytes.count)
        if let tail = scan.invalidTail {
            report.truncatedFile = activeName
            report.truncatedOffset = tail.offset
            report.truncatedBytes = bytes.count - tail.offset
            report.truncationReason = tail.reason
            if !readOnly {
                try handle.truncate(to: scan.validLength)
                try handle.sync()
            }
        }
        let headHash = scan.lastHash ?? previousHash
        segments.append(
            IndexState.Segment(
                base: activeBase, name: activeName, handle: handle, length: scan.validLength,
                nextPosition: scan.nextPosition, batches: scan.batches))

        let heads = try loadHeads(activeBase: activeBase, segments: segments, sealed: &sealedStreams, report: &report)
        var writer = WriterState()
        writer.nextPosition = scan.nextPosition
        writer.lastHash = headHash
        writer.lastRecordedAt = scan.batches.last?.recordedAt ?? segments.dropLast().last?.batches.last?.recordedAt ?? 0
        writer.heads = heads
        for (stream, run) in scan.streams.runs { writer.liveHeads[stream] = run.lastSequence }
        writer.activeBase = activeBase
        writer.activeLength = scan.validLength
        writer.activeHandle = handle
        report.segments = segments.count
        report.nextPosition = scan.nextPosition
        var state = IndexState(
            segments: segments, activeStreams: scan.streams, sealedStreams: sealedStreams,
            committedNext: scan.nextPosition, headHash: headHash)
        state.anchors = anchors
        return Output(state: state, writerState: writer, report: report)
    }

    /// Refuses a journal that ends before `durable-head` says it reached: a torn write was never synced, so
    /// the head never covers one; what it covers and the segments lack was acknowledged and is gone (a file
    /// cut at a frame boundary, damaged last frames, a deleted active segment). Nothing is repaired: the
    /// operator restores a backup, or deletes the head file to accept the loss.
    func checkDurableHead(activeBase: UInt64, activeName: String, scan: SegmentScanner.Result, fileLength: Int) throws(JournalError) {
        let path = "\(dir)/\(DurableHead.fileName)"
        guard fs.fileExists(path), let head = DurableHead.decode(try fs.openFile(path, create: false).readAll()) else { return }
        guard head.nextPosition > scan.nextPosition else { return }
        let missing = head.nextPosition - scan.nextPosition
        let remedy = "Restore the journal from a backup (`reel backup restore`); to accept the loss and go on from what is left, "
            + "delete \(path)."
        if head.activeBase > activeBase {
            throw JournalError(
                .acknowledgedMissing,
                "the active segment \(SegmentFiles.segmentName(head.activeBase)) is missing: the journal ends in \(activeName) before "
                    + "position \(scan.nextPosition), but every position before \(head.nextPosition) was acknowledged as durable: \(missing) "
                    + "acknowledged event\(missing == 1 ? " is" : "s are") missing. " + remedy,
                file: SegmentFiles.segmentName(head.activeBase))
        }
        let damage =
            scan.invalidTail.map { "its bytes from offset \($0.offset) do not read as frames (\($0.reason))" }
            ?? "the file ends at offset \(fileLength), on a frame boundary, where it had reached offset \(head.activeLength)"
        throw JournalError(
            .acknowledgedMissing,
            "\(activeName) ends before position \(scan.nextPosition), but every position before \(head.nextPosition) was acknowledged "
                + "as durable: \(missing) acknowledged event\(missing == 1 ? " is" : "s are") missing, because \(damage). " + remedy,
            file: activeName, offset: scan.invalidTail?.offset ?? scan.validLength)
    }

    func createSegment(base: UInt64) throws(JournalError) {
        let path = "\(dir)/\(SegmentFiles.segmentName(base))"
        let h = try fs.openFile(path, create: true)
        defer { h.close() }
        try h.truncate(to: 0)
        try h.write(SegmentFiles.segmentHeader(base: base), at: 0)
        try h.sync()
        try fs.syncDirectory(dir)
    }

    /// A sealed segment from its `.idx` file, or rebuilt from the segment when the index is missing or damaged.
    private func openSealed(
        base: UInt64, report: inout RecoveryReport
    ) throws(JournalError) -> (IndexState.Segment, [UInt8], SealedStreamIndex?) {
        let name = SegmentFiles.segmentName(base)
        let handle = try fs.openFile("\(dir)/\(name)", create: false)
        let size = try handle.size()
        let idxName = SegmentFiles.indexName(base)
        if fs.fileExists("\(dir)/\(idxName)"),
            let bytes = try? fs.openFile("\(dir)/\(idxName)", create: false).readAll(),
            let idx = try? SegmentFiles.decodeIndex(bytes, base: base, file: idxName),
            idx.length == size
        {
            let seg = IndexState.Segment(
                base: base, name: name, handle: handle, length: idx.length, nextPosition: idx.nextPosition,
                batches: idx.batches)
            return (seg, idx.lastHash, nil)
        }
        // Rebuild both indexes from the segment itself: it is the source of truth.
        let scan = try SegmentScanner(file: name, basePosition: base, buildStreams: true).scan(try handle.readAll())
        if let tail = scan.invalidTail {
            throw JournalError(
                .corruption, "sealed segment has an invalid frame (\(tail.reason))", file: name, offset: tail.offset)
        }
        let sealed = SegmentFiles.SealedIndex(
            batches: scan.batches, length: scan.validLength, nextPosition: scan.nextPosition,
            lastHash: scan.lastHash ?? FrameCodec.zeroHash)
        let sidxBytes = scan.streams.encodeSealed()
        if !readOnly {
            try writeFileAtomically(fs, directory: dir, name: idxName, bytes: SegmentFiles.encodeIndex(base: base, sealed))
            try writeFileAtomically(fs, directory: dir, name: SegmentFiles.streamIndexName(base), bytes: sidxBytes)
        }
        report.rebuiltIndexes.append(idxName)
        let seg = IndexState.Segment(
            base: base, name: name, handle: handle, length: scan.validLength, nextPosition: scan.nextPosition,
            batches: scan.batches)
        let streams = try SealedStreamIndex(bytes: sidxBytes, expectedBase: base, file: SegmentFiles.streamIndexName(base))
        return (seg, sealed.lastHash, streams)
    }

    /// The persisted stream heads if they cover every sealed segment; otherwise rebuilt from the stream indexes.
    private func loadHeads(
        activeBase: UInt64, segments: [IndexState.Segment], sealed: inout [UInt64: SealedStreamIndex],
        report: inout RecoveryReport
    ) throws(JournalError) -> StreamHeads {
        let path = "\(dir)/\(SegmentFiles.headsFileName)"
        if fs.fileExists(path), let bytes = try? fs.openFile(path, create: false).readAll(),
            let heads = try? StreamHeads.decode(bytes, file: SegmentFiles.headsFileName),
            heads.coveredUpTo >= activeBase, heads.coveredUpTo <= segments.last!.nextPosition
        {
            return heads
        }
        var heads = StreamHeads()
        for seg in segments.dropLast() {
            let sidx = try SealedStreamIndexLoader(fs: fs, dir: dir, readOnly: readOnly).load(seg, cache: &sealed)
            var updates: [(StreamID, UInt64)] = []
            sidx.forEachStream { updates.append(($0, $1)) }
            heads = heads.merging(sorted: updates, coveredUpTo: seg.nextPosition)
        }
        if activeBase > 0 || fs.fileExists(path) {
            report.rebuiltIndexes.append(SegmentFiles.headsFileName)
        }
        if !readOnly && activeBase > 0 {
            try writeFileAtomically(fs, directory: dir, name: SegmentFiles.headsFileName, bytes: heads.encode())
        }
        return heads
    }
}

/// Loads a sealed segment's `.sidx`, rebuilding it from the segment when it is missing or damaged.
struct SealedStreamIndexLoader {
    let fs: any JournalFileSystem
    let dir: String
    let readOnly: Bool

    func load(_ seg: IndexState.Segment, cache: inout [UInt64: SealedStreamIndex]) throws(JournalError) -> SealedStreamIndex {
        if let s = cache[seg.base] { return s }
        let s = try load(seg)
        cache[seg.base] = s
        return s
    }

    func load(_ seg: IndexState.Segment) throws(JournalError) -> SealedStreamIndex {
        let name = SegmentFiles.streamIndexName(seg.base)
        let path = "\(dir)/\(name)"
        if fs.fileExists(path), let bytes = try? fs.openFile(path, create: false).readAll(),
            let s = try? SealedStreamIndex(bytes: bytes, expectedBase: seg.base, file: name)
        {
            return s
        }
        let scan = try SegmentScanner(file: seg.name, basePosition: seg.base, buildStreams: true)
            .scan(try seg.handle.read(at: 0, count: seg.length))
        let bytes = scan.streams.encodeSealed()
        if !readOnly { try writeFileAtomically(fs, directory: dir, name: name, bytes: bytes) }
        return try SealedStreamIndex(bytes: bytes, expectedBase: seg.base, file: name)
    }
}
