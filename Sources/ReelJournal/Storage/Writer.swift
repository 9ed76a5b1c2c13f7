import Foundation
import Synchronization

/// What only the writer thread reads and writes (set up by `Recovery`).
struct WriterState: @unchecked Sendable {
    var nextPosition: UInt64 = 0
    var lastHash: [UInt8] = FrameCodec.zeroHash
    var lastRecordedAt: Int64 = 0
    /// Stream versions as of the newest sealed segment.
    var heads = StreamHeads()
    /// Stream versions changed since (streams appended to in the active segment).
    var liveHeads: [StreamID: UInt64] = [:]
    var activeBase: UInt64 = 0
    var activeLength = 0
    var activeHandle: (any JournalFileHandle)?
    var dirty = false
    var lastSync = Date()

    func version(of stream: StreamID) -> UInt64 {
        liveHeads[stream] ?? heads.lastSequence(of: stream) ?? 0
    }
}

/// The group-commit writer: one thread that takes every queued append, assigns positions and sequences,
/// encodes and compresses batches, writes them with one `pwrite`, syncs once, then acknowledges them all.
///
/// `@unchecked Sendable`: `state` is touched only by the writer thread after `start()`; `index` is set once
/// before it starts.
final class Writer: @unchecked Sendable {
    private let configuration: JournalConfiguration
    private let fs: any JournalFileSystem
    private let queue: AppendQueue
    private var state: WriterState
    var index: SharedIndex!
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    private let joined = Mutex(false)

    init(configuration: JournalConfiguration, fileSystem: any JournalFileSystem, queue: AppendQueue, state: WriterState) {
        self.configuration = configuration
        self.fs = fileSystem
        self.queue = queue
        self.state = state
    }

    func start() {
        let t = Thread { [self] in
            self.loop()
            self.done.signal()
        }
        t.name = "reel-journal-writer"
        t.qualityOfService = .userInitiated
        thread = t
        t.start()
    }

    /// Waits for the thread to drain the closed queue and exit.
    func join() {
        let first = joined.withLock { j -> Bool in
            defer { j = true }
            return !j
        }
        if first && thread != nil { done.wait() }
    }

    private var syncInterval: TimeInterval? {
        if case .syncInterval(let ms) = configuration.durability { return Double(ms) / 1000 }
        return nil
    }

    private func loop() {
        while true {
            let deadline = syncInterval.flatMap { state.dirty ? state.lastSync.addingTimeInterval($0) : nil }
            guard let work = queue.takeAll(waitingUntil: deadline) else { break }
            if !work.isEmpty { commit(work) }
            if let interval = syncInterval, state.dirty, Date().timeIntervalSince(state.lastSync) >= interval {
                syncActive()
            }
        }
        if state.dirty { syncActive() }
    }

    private func syncActive() {
        do throws(JournalError) {
            try state.activeHandle?.sync()
            state.dirty = false
            state.lastSync = Date()
        } catch {
            poison(error)
        }
    }

    /// After a failed sync the kernel may have dropped dirty pages: the durable state is unknown, so the
    /// journal stops taking appends until it is reopened (and recovery re-reads what really is on disk).
    private func poison(_ error: JournalError) {
        index.withLock { if $0.failure == nil { $0.failure = error } }
    }

    private struct Accepted {
        var append: PendingAppend
        var firstPosition: UInt64
        var lastSequences: [UInt64]
        var recordRange: Range<Int>
    }

    private func commit(_ work: [PendingAppend]) {
        if let failure = index.withLock({ $0.failure }) {
            for p in work { p.continuation.resume(throwing: JournalError(.closed, "the journal stopped after an earlier failure: \(failure)")) }
            return
        }
        // 1. Check expected versions and assign sequences and positions.
        var records: [RecordCodec.Pending] = []
        records.reserveCapacity(work.reduce(0) { $0 + $1.eventCount })
        var accepted: [Accepted] = []
        accepted.reserveCapacity(work.count)
        var position = state.nextPosition
        var versions: [StreamID: UInt64] = [:]
        for p in work {
            var ok = true
            var local: [StreamID: UInt64] = [:]
            for w in p.writes {
                let current = local[w.stream] ?? versions[w.stream] ?? state.version(of: w.stream)
                switch w.expected {
                case .any: break
                case .noStream where current != 0, .exact(_) where w.expected != .exact(current):
                    p.continuation.resume(
                        throwing: JournalError(
                            .wrongExpectedVersion,
                            "stream \(w.stream) is at version \(current), the append expected \(w.expected)"))
                    ok = false
                default: break
                }
                if !ok { break }
                local[w.stream] = current + UInt64(w.events.count)
            }
            guard ok else { continue }
            let start = records.count
            var lastSequences: [UInt64] = []
            lastSequences.reserveCapacity(p.writes.count)
            var k = 0
            for w in p.writes {
                var seq = versions[w.stream] ?? state.version(of: w.stream)
                for e in w.events {
                    seq += 1
                    records.append(RecordCodec.Pending(stream: w.stream, sequence: seq, event: e, sealedPersonal: p.sealed[k]))
                    k += 1
                }
                versions[w.stream] = seq
                lastSequences.append(seq)
            }
            accepted.append(Accepted(append: p, firstPosition: position, lastSequences: lastSequences, recordRange: start..<records.count))
            position += UInt64(records.count - start)
        }
        guard !accepted.isEmpty else { return }

        // 2. Cut batches (never splitting one call) and encode frames along the hash chain.
        let now = max(configuration.clock.now().microseconds, state.lastRecordedAt)
        var frames = ByteWriter(capacity: records.count * 40 + 1024)
        var batches: [BatchEntry] = []
        var hash = state.lastHash
        var batchStart = 0
        var offset = state.activeLength
        do throws(JournalError) {
            var i = 0
            while i < accepted.count {
                var end = accepted[i].recordRange.upperBound
                i += 1
                while i < accepted.count, accepted[i].recordRange.upperBound - batchStart <= configuration.maxBatchEvents {
                    end = accepted[i].recordRange.upperBound
                    i += 1
                }
                let first = state.nextPosition + UInt64(batchStart)
                let (frame, h) = try FrameCodec.encode(
                    records: records[batchStart..<end], firstPosition: first, recordedAt: Timestamp(microseconds: now),
                    previousHash: hash, compressionLevel: configuration.compressionLevel)
                batches.append(
                    BatchEntry(
                        firstPosition: first, offset: UInt64(offset), recordedAt: now, eventCount: UInt32(end - batchStart),
                        frameLength: UInt32(frame.count)))
                frames.writeBytes(frame)
                offset += frame.count
                hash = h
                batchStart = end
            }
        } catch {
            for a in accepted { a.append.continuation.resume(throwing: error) }
            return
        }

        // 3. One write, one sync.
        guard let handle = state.activeHandle else { return }
        do throws(JournalError) {
            try handle.write(frames.bytes, at: state.activeLength)
        } catch {
            // Cut whatever part of the write landed, so the file ends on a frame boundary again.
            do throws(JournalError) {
                try handle.truncate(to: state.activeLength)
            } catch {
                poison(error)
            }
            if error.code != .diskFull { poison(error) }
            for a in accepted { a.append.continuation.resume(throwing: error) }
            return
        }
        if configuration.durability == .syncEachCommit {
            do throws(JournalError) {
                try handle.sync()
                state.lastSync = Date()
            } catch {
                poison(error)
                for a in accepted { a.append.continuation.resume(throwing: error) }
                return
            }
        } else {
            state.dirty = true
        }

        // 4. Publish to readers, then acknowledge.
        state.activeLength = offset
        state.nextPosition = position
        state.lastHash = hash
        state.lastRecordedAt = now
        for (s, v) in versions { state.liveHeads[s] = v }
        index.withLock { ix in
            let last = ix.segments.count - 1
            ix.segments[last].length = offset
            ix.segments[last].nextPosition = position
            ix.segments[last].batches.append(contentsOf: batches)
            var p = ix.committedNext
            for r in records {
                ix.activeStreams.add(stream: r.stream, sequence: r.sequence, position: p)
                p += 1
            }
            ix.appendedEvents += position - ix.committedNext
            ix.committedNext = position
            ix.headHash = hash
            ix.commits += 1
            ix.frames += batches.count
        }
        let recordedAt = Timestamp(microseconds: now)
        for a in accepted {
            a.append.continuation.resume(
                returning: AppendResult(firstPosition: a.firstPosition, lastSequences: a.lastSequences, recordedAt: recordedAt))
        }
        if state.activeLength >= configuration.segmentSize { roll() }
    }

    /// Seals the active segment (writes its indexes and the stream heads) and starts a new one.
    /// Index files can be rebuilt from segments, so failing to write them is not fatal; failing to create the
    /// new segment leaves the current one active and retries after the next commit.
    private func roll() {
        if configuration.durability != .syncEachCommit { syncActive() }
        let base = state.activeBase
        let dir = configuration.directory
        let (batches, sidx, updates) = index.withLock { ix -> ([BatchEntry], [UInt8], [(StreamID, UInt64)]) in
            let runs = ix.activeStreams.runs.map { ($0.key, $0.value.lastSequence) }.sorted { $0.0 < $1.0 }
            return (ix.segments[ix.segments.count - 1].batches, ix.activeStreams.encodeSealed(), runs)
        }
        let sealed = SegmentFiles.SealedIndex(
            batches: batches, length: state.activeLength, nextPosition: state.nextPosition, lastHash: state.lastHash)
        let newHeads = state.heads.merging(sorted: updates, coveredUpTo: state.nextPosition)
        try? writeFileAtomically(fs, directory: dir, name: SegmentFiles.indexName(base), bytes: SegmentFiles.encodeIndex(base: base, sealed))
        try? writeFileAtomically(fs, directory: dir, name: SegmentFiles.streamIndexName(base), bytes: sidx)
        try? writeFileAtomically(fs, directory: dir, name: SegmentFiles.headsFileName, bytes: newHeads.encode())

        let newBase = state.nextPosition
        let name = SegmentFiles.segmentName(newBase)
        let handle: any JournalFileHandle
        do throws(JournalError) {
            try Recovery(configuration: configuration).createSegment(base: newBase)
            handle = try fs.openFile("\(dir)/\(name)", create: false)
        } catch {
            try? fs.remove("\(dir)/\(name)")
            return
        }
        let sealedStreams = try? SealedStreamIndex(bytes: sidx, expectedBase: base, file: SegmentFiles.streamIndexName(base))
        state.heads = newHeads
        state.liveHeads.removeAll(keepingCapacity: true)
        state.activeBase = newBase
        state.activeLength = SegmentFiles.segmentHeaderSize
        state.activeHandle = handle
        state.dirty = false
        index.withLock { ix in
            if let s = sealedStreams { ix.sealedStreams[base] = s }
            ix.segments.append(
                IndexState.Segment(
                    base: newBase, name: name, handle: handle, length: SegmentFiles.segmentHeaderSize,
                    nextPosition: newBase, batches: []))
            ix.activeStreams = StreamRuns(basePosition: newBase)
        }
    }
}
