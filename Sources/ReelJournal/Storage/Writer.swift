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

    func version(of stream: StreamID) -> UInt64 {
        liveHeads[stream] ?? heads.lastSequence(of: stream) ?? 0
    }
}

/// The group-commit writer, in two stages on two threads so that encoding the next group overlaps the sync
/// of the previous one:
/// - the **writer** thread takes every queued append, checks expected versions, assigns positions and
///   sequences, encodes and compresses batches along the hash chain, and writes them with one `pwrite`;
/// - the **sync** thread takes every written group, calls `fdatasync` once for all of them, then publishes
///   them to readers and acknowledges them, in order.
///
/// `@unchecked Sendable`: `state` is touched only by the writer thread after `start()`; `index` is set once
/// before it starts; the sync thread only reads the groups handed to it and the shared index.
final class Writer: @unchecked Sendable {
    private let configuration: JournalConfiguration
    private let fs: any JournalFileSystem
    private let queue: AppendQueue
    private var state: WriterState
    var index: SharedIndex!
    private let stage = SyncStage()
    private let writerDone = DispatchSemaphore(value: 0)
    private let syncerDone = DispatchSemaphore(value: 0)
    private let joined = Mutex(false)
    private var started = false
    /// `durable-head`, opened at the first sync (only the sync thread touches it).
    private var durableHead: (any JournalFileHandle)?

    init(configuration: JournalConfiguration, fileSystem: any JournalFileSystem, queue: AppendQueue, state: WriterState) {
        self.configuration = configuration
        self.fs = fileSystem
        self.queue = queue
        self.state = state
    }

    func start() {
        started = true
        let w = Thread { [self] in
            self.writeLoop()
            self.stage.close()
            self.writerDone.signal()
        }
        w.name = "reel-journal-writer"
        let s = Thread { [self] in
            self.syncLoop()
            self.syncerDone.signal()
        }
        s.name = "reel-journal-sync"
        w.start()
        s.start()
    }

    /// Waits for both threads to drain the closed queue and exit.
    func join() {
        let first = joined.withLock { j -> Bool in
            defer { j = true }
            return !j
        }
        if first && started {
            writerDone.wait()
            syncerDone.wait()
        }
    }

    private var syncEachCommit: Bool { configuration.durability == .syncEachCommit }

    private var syncInterval: TimeInterval? {
        if case .syncInterval(let ms) = configuration.durability { return Double(ms) / 1000 }
        return nil
    }

    private func writeLoop() {
        while let work = queue.takeAll(waitingUntil: nil) {
            if !work.isEmpty { commit(work) }
        }
    }

    /// After a failed sync the kernel may have dropped dirty pages: the durable state is unknown, so the
    /// journal stops taking appends until it is reopened (and recovery re-reads what really is on disk).
    private func poison(_ error: JournalError) {
        index.withLock { if $0.failure == nil { $0.failure = error } }
    }

    private func commit(_ work: [PendingAppend]) {
        if let failure = index.withLock({ $0.failure }) {
            for p in work { p.complete(.failure(JournalError(.closed, "the journal stopped after an earlier failure: \(failure)"))) }
            return
        }
        // 1. Check expected versions, assign sequences and positions. `undo` restores stream versions if the
        //    write fails.
        var records: [RecordCodec.Pending] = []
        records.reserveCapacity(work.reduce(0) { $0 + $1.eventCount })
        var acks: [(AppendCompletion, AppendResult)] = []
        acks.reserveCapacity(work.count)
        var callEnds: [Int] = []
        var undo: [(StreamID, UInt64?)] = []
        let now = max(configuration.clock.now().microseconds, state.lastRecordedAt)
        for p in work {
            if let conflict = checkExpectations(p) {
                p.complete(.failure(conflict))
                continue
            }
            let first = state.nextPosition + UInt64(records.count)
            var lastSequences: [UInt64] = []
            lastSequences.reserveCapacity(p.writes.count)
            var k = 0
            for w in p.writes {
                let seq = advance(w.stream, by: UInt64(w.events.count), undo: &undo)
                var s = seq - UInt64(w.events.count)
                for e in w.events {
                    s += 1
                    records.append(RecordCodec.Pending(stream: w.stream, sequence: s, event: e, sealedPersonal: p.sealed.isEmpty ? nil : p.sealed[k]))
                    k += 1
                }
                lastSequences.append(seq)
            }
            callEnds.append(records.count)
            acks.append((p.complete, AppendResult(firstPosition: first, lastSequences: lastSequences, recordedAt: Timestamp(microseconds: now))))
        }
        guard !acks.isEmpty, let handle = state.activeHandle else { return }

        // 2. Cut batches (never splitting one call) and encode frames along the hash chain.
        var frames = ByteWriter(capacity: records.count * 40 + 1024)
        var batches: [BatchEntry] = []
        var hash = state.lastHash
        var batchStart = 0
        var offset = state.activeLength
        do throws(JournalError) {
            var i = 0
            while i < callEnds.count {
                var end = callEnds[i]
                i += 1
                while i < callEnds.count, callEnds[i] - batchStart <= configuration.maxBatchEvents {
                    end = callEnds[i]
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
            // 3. One write for the whole group; the sync thread makes it durable.
            try handle.write(frames.bytes, at: state.activeLength)
        } catch {
            // Cut whatever part of the write landed, so the file ends on a frame boundary again.
            do throws(JournalError) {
                try handle.truncate(to: state.activeLength)
            } catch {
                poison(error)
            }
            if error.code != .diskFull { poison(error) }
            for (stream, previous) in undo.reversed() { state.liveHeads[stream] = previous }
            for (c, _) in acks { c(.failure(error)) }
            return
        }
        let group = WrittenGroup(
            handle: handle, base: state.activeBase, acks: acks, batches: batches, entries: records.map { ($0.stream, $0.sequence) },
            nextPosition: state.nextPosition + UInt64(records.count), length: offset, hash: hash)
        state.activeLength = offset
        state.nextPosition = group.nextPosition
        state.lastHash = hash
        state.lastRecordedAt = now
        stage.submit(group)
        if state.activeLength >= configuration.segmentSize { roll() }
    }

    /// The first failed condition of an append, if any (nothing of the append is written then).
    private func checkExpectations(_ p: PendingAppend) -> JournalError? {
        var local: [StreamID: UInt64] = [:]
        for w in p.writes {
            if w.expected == .any && p.writes.count == 1 { return nil }
            let current = local[w.stream] ?? state.version(of: w.stream)
            let ok: Bool
            switch w.expected {
            case .any: ok = true
            case .noStream: ok = current == 0
            case .exact(let v): ok = current == v
            }
            if !ok {
                return JournalError(
                    .wrongExpectedVersion, "stream \(w.stream) is at version \(current), the append expected \(w.expected)")
            }
            local[w.stream] = current + UInt64(w.events.count)
        }
        return nil
    }

    /// Moves a stream's version forward by `count`; returns the new version.
    private func advance(_ stream: StreamID, by count: UInt64, undo: inout [(StreamID, UInt64?)]) -> UInt64 {
        if let i = state.liveHeads.index(forKey: stream) {
            let old = state.liveHeads.values[i]
            undo.append((stream, old))
            state.liveHeads.values[i] = old + count
            return old + count
        }
        let old = state.heads.lastSequence(of: stream) ?? 0
        undo.append((stream, nil))
        state.liveHeads[stream] = old + count
        return old + count
    }

    private func syncLoop() {
        var dirty: [ObjectIdentifier: any JournalFileHandle] = [:]
        var lastSync = Date()
        var unsyncedHead: DurableHead?
        func syncDirty() {
            var failed = false
            for h in dirty.values {
                do throws(JournalError) { try h.sync() } catch {
                    poison(error)
                    failed = true
                }
            }
            if !failed, let head = unsyncedHead { recordDurable(head) }
            unsyncedHead = nil
            dirty.removeAll()
            lastSync = Date()
        }
        while true {
            let deadline = syncInterval.flatMap { dirty.isEmpty ? nil : lastSync.addingTimeInterval($0) }
            guard let groups = stage.takeAll(waitingUntil: deadline) else { break }
            if !groups.isEmpty {
                var failure: JournalError?
                if syncEachCommit {
                    var synced: Set<ObjectIdentifier> = []
                    for g in groups where synced.insert(ObjectIdentifier(g.handle)).inserted {
                        do throws(JournalError) { try g.handle.sync() } catch {
                            failure = error
                            poison(error)
                        }
                    }
                } else {
                    for g in groups { dirty[ObjectIdentifier(g.handle)] = g.handle }
                }
                let last = groups[groups.count - 1]
                let head = DurableHead(nextPosition: last.nextPosition, activeBase: last.base, activeLength: UInt64(last.length))
                if let failure {
                    for g in groups { for (c, _) in g.acks { c(.failure(failure)) } }
                } else {
                    // The head is recorded after the data's sync, never before, so it cannot claim more than
                    // is on disk; and after the acknowledgements, so it adds nothing to their latency (a crash
                    // in between leaves it one group behind, which only weakens the check).
                    publish(groups)
                    if syncEachCommit { recordDurable(head) } else { unsyncedHead = head }
                }
            }
            if let interval = syncInterval, !dirty.isEmpty, Date().timeIntervalSince(lastSync) >= interval { syncDirty() }
            stage.markIdle()
        }
        syncDirty()
        durableHead?.close()
        durableHead = nil
    }

    /// Overwrites `durable-head` in place (32 bytes, no sync of its own: see `DurableHead`). A failure only
    /// weakens the check at the next open, so it is not the appends' failure.
    private func recordDurable(_ head: DurableHead) {
        if durableHead == nil {
            durableHead = try? fs.openFile("\(configuration.directory)/\(DurableHead.fileName)", create: true)
        }
        try? durableHead?.write(head.encoded(), at: 0)
    }

    /// Makes written groups visible to readers, then acknowledges them.
    private func publish(_ groups: [WrittenGroup]) {
        index.withLock { ix in
            let last = ix.segments.count - 1
            for g in groups {
                ix.segments[last].length = g.length
                ix.segments[last].batches.append(contentsOf: g.batches)
                var p = ix.committedNext
                for (stream, sequence) in g.entries {
                    ix.activeStreams.add(stream: stream, sequence: sequence, position: p)
                    p += 1
                }
                ix.appendedEvents += g.nextPosition - ix.committedNext
                ix.segments[last].nextPosition = g.nextPosition
                ix.committedNext = g.nextPosition
                ix.headHash = g.hash
                ix.commits += 1
                ix.frames += g.batches.count
            }
        }
        index.notifyCommitted()
        for g in groups { for (c, r) in g.acks { c(.success(r)) } }
    }

    /// Seals the active segment (writes its indexes and the stream heads) and starts a new one.
    /// Waits for the sync thread to publish everything written so far, so the sealed indexes are complete.
    /// Index files can be rebuilt from segments, so failing to write them is not fatal; failing to create the
    /// new segment leaves the current one active and retries after the next commit.
    private func roll() {
        stage.waitIdle()
        if !syncEachCommit {
            do throws(JournalError) { try state.activeHandle?.sync() } catch { poison(error) }
        }
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
        do {
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

/// A group the writer thread has written but not yet synced.
struct WrittenGroup: @unchecked Sendable {
    var handle: any JournalFileHandle
    /// The segment `handle` writes (its base position).
    var base: UInt64
    var acks: [(AppendCompletion, AppendResult)]
    var batches: [BatchEntry]
    /// Stream and sequence of each event, in position order.
    var entries: [(StreamID, UInt64)]
    var nextPosition: UInt64
    var length: Int
    var hash: [UInt8]
}

/// The hand-off from the writer thread to the sync thread.
///
/// `@unchecked Sendable`: every field is read and written only while `condition` is locked.
final class SyncStage: @unchecked Sendable {
    private let condition = NSCondition()
    private var groups: [WrittenGroup] = []
    private var busy = false
    private var closed = false

    func submit(_ g: WrittenGroup) {
        condition.lock()
        groups.append(g)
        condition.broadcast()
        condition.unlock()
    }

    /// Takes all written groups (marking the stage busy until `markIdle`); nil once closed and drained.
    func takeAll(waitingUntil deadline: Date?) -> [WrittenGroup]? {
        condition.lock()
        defer { condition.unlock() }
        while groups.isEmpty && !closed {
            if let deadline {
                if !condition.wait(until: deadline) { return [] }
            } else {
                condition.wait()
            }
        }
        if groups.isEmpty && closed { return nil }
        busy = true
        let taken = groups
        groups.removeAll(keepingCapacity: true)
        return taken
    }

    func markIdle() {
        condition.lock()
        busy = false
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until every submitted group has been synced and published.
    func waitIdle() {
        condition.lock()
        while busy || !groups.isEmpty { condition.wait() }
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
