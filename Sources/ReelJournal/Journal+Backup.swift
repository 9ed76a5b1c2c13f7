/// What `copyCommitted(to:)` copied.
public struct JournalCopy: Sendable {
    /// The copy holds every event before this position...
    public var nextPosition: UInt64
    /// ... and this is the hash of its newest batch (it commits to the whole copy).
    public var headHash: [UInt8]
    /// File names written into the destination directory.
    public var files: [String]
}

extension Journal {
    /// Copies the committed journal, as of this call, into `destination` (created; it must not hold a
    /// journal): every sealed segment with its indexes, and the active segment up to its committed length.
    /// Appends may go on meanwhile; they are simply not in the copy. Opening the copy rebuilds the active
    /// segment's index and the stream heads, which are not copied.
    public func copyCommitted(to destination: String) throws(JournalError) -> JournalCopy {
        // Segments are read through the handles captured here, and anchors come from the same moment, so a
        // compaction running meanwhile cannot pair a rewritten segment with a stale anchor or the reverse.
        let (segments, anchors, next, head) = index.withLock { ix in
            (ix.segments.map { ($0.base, $0.name, $0.length, $0.handle) }, ix.anchors, ix.committedNext, ix.headHash)
        }
        try fs.createDirectory(destination)
        guard try fs.listDirectory(destination).allSatisfy({ !$0.hasSuffix(".seg") }) else {
            throw JournalError(.invalidArgument, "\(destination) already holds a journal")
        }
        var files: [String] = []
        for (i, (base, name, length, handle)) in segments.enumerated() {
            let isActive = i == segments.count - 1
            try copyFile(from: handle, name: name, to: "\(destination)/\(name)", bytes: length)
            files.append(name)
            if let anchor = anchors[base] {
                try writeFileAtomically(fs, directory: destination, name: CompactionAnchor.fileName(base), bytes: anchor.encode())
                files.append(CompactionAnchor.fileName(base))
            }
            // A sealed segment's indexes are immutable; the active one's are rebuilt by recovery.
            guard !isActive else { continue }
            // (The stream index is immutable; the position index is rebuilt on open if a compaction raced it.)
            for index in [SegmentFiles.indexName(base), SegmentFiles.streamIndexName(base)] where fs.fileExists("\(directory)/\(index)") {
                let input = try fs.openFile("\(directory)/\(index)", create: false)
                defer { input.close() }
                try copyFile(from: input, name: index, to: "\(destination)/\(index)", bytes: nil)
                files.append(index)
            }
        }
        try fs.syncDirectory(destination)
        return JournalCopy(nextPosition: next, headHash: head, files: files)
    }

    /// Copies the first `bytes` (nil: all) of a file durably, a megabyte at a time.
    private func copyFile(from input: any JournalFileHandle, name source: String, to target: String, bytes: Int?) throws(JournalError) {
        let output = try fs.openFile(target, create: true)
        defer { output.close() }
        try output.truncate(to: 0)
        var total = bytes ?? 0
        if bytes == nil { total = try input.size() }
        var offset = 0
        while offset < total {
            let chunk = try input.read(at: offset, count: min(1 << 20, total - offset))
            guard !chunk.isEmpty else { throw JournalError(.io, "\(source) ended at byte \(offset), expected \(total)") }
            try output.write(chunk, at: offset)
            offset += chunk.count
        }
        try output.sync()
    }
}
