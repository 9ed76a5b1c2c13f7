import Foundation
import Logging
import ReelJournal

/// A read model folded from the journal in position order.
///
/// The runner calls `apply` with consecutive events starting at `nextPosition`, always from one thread at a
/// time, and `checkpoint` to persist the state together with `nextPosition` in one atomic step. Folding must
/// be deterministic: the same events give the same state in any process (see `Docs/Architecture.md`).
public protocol Projection: AnyObject, SendableMetatype {
    /// Everything before this position is folded in.
    var nextPosition: UInt64 { get }
    func apply(_ events: [RecordedEvent]) throws
    /// Persists the state and `nextPosition` atomically (a crash keeps the previous checkpoint or this one).
    func checkpoint(recordedAt: Timestamp) throws
}

/// Runs one projection: catches up from its checkpoint, then follows live appends on its own thread.
/// Queries go through `read` (alone with the projection, like the fold) or `readShared` (alongside other
/// shared readers, for bodies that only look: the feed pipeline); both wait for the chunk being folded.
public final class ProjectionRunner<P: Projection>: @unchecked Sendable {
    public struct Policy: Sendable {
        /// Checkpoint after this many events...
        public var checkpointEvents: UInt64 = 50_000
        /// ... or this long after the last checkpoint, whichever comes first.
        public var checkpointInterval: Duration = .seconds(5)
        /// Events folded per lock hold (queries wait at most this much work).
        public var chunk: Int = 2048
        /// How often the follower polls for new events when idle.
        public var pollInterval: Duration = .milliseconds(1)
        /// Decrypt personal data for the fold (needed by views that index names).
        public var decryptPersonal = true
        /// Checkpoint as soon as the first catch-up reaches the head when it folded at least this many events
        /// since the last checkpoint (0: never early). A projection with a long interval (the model's 120 s)
        /// would otherwise re-read all of it at every start of a crash loop (issue 24, item 16).
        public var checkpointAfterCatchUpEvents: UInt64 = 10_000
        public init() {}
    }

    public let journal: Journal
    public let policy: Policy
    private let projection: P
    /// Guards the projection's state: the fold and `read` write-lock it, `readShared` read-locks it. Taken
    /// before `lock` (never the other way round).
    private let stateLock = ReadWriteLock()
    /// Guards the fields below and wakes waiters; held by the fold while it changes the projection, so code
    /// under `lock` alone also sees a consistent position.
    private let lock = NSCondition()
    // Guarded by `lock`.
    private var stopping = false
    private var failure: (any Error)?
    private var checkpointFailure: (any Error)?
    private var lastCheckpointPosition: UInt64
    private var lastCheckpointTime = ContinuousClock.now
    private var thread: Thread?
    private var finished = false
    /// Tasks waiting for a position to be folded, resumed by the fold (or by their timeout).
    private var waiters: [(id: UInt64, position: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    private var nextWaiter: UInt64 = 0
    private let logger = Logger(label: "reel.projection")

    public init(journal: Journal, projection: P, policy: Policy = .init()) {
        self.journal = journal
        self.projection = projection
        self.policy = policy
        self.lastCheckpointPosition = projection.nextPosition
    }

    /// Runs `body` with the projection to itself: no fold and no other reader meanwhile (for bodies that may
    /// change caches or use a database connection).
    public func read<T>(_ body: (P) throws -> T) rethrows -> T {
        try stateLock.withWriteLock {
            lock.lock()
            defer { lock.unlock() }
            return try body(projection)
        }
    }

    /// Runs `body` with the projection while no fold is in progress, alongside other shared readers. `body`
    /// must only read plain in-memory state, and must not call `read` or `readShared` on this runner again.
    public func readShared<T>(_ body: (P) throws -> T) rethrows -> T {
        try stateLock.withReadLock { try body(projection) }
    }

    /// Events committed to the journal but not yet folded.
    public var lag: UInt64 {
        let end = journal.nextPosition
        return read { end > $0.nextPosition ? end - $0.nextPosition : 0 }
    }

    /// The first error the follower thread hit, if it stopped because of one.
    public var error: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Folds everything committed up to `end` (default: now) on the calling thread; returns how many events.
    @discardableResult
    public func catchUp(to end: UInt64? = nil) throws -> Int {
        let target = min(end ?? .max, journal.nextPosition)
        var folded = 0
        var cursor = journal.events(from: read { $0.nextPosition }, to: target, decryptPersonal: policy.decryptPersonal)
        var chunk: [RecordedEvent] = []
        chunk.reserveCapacity(policy.chunk)
        while let e = try cursor.next() {
            chunk.append(e)
            if chunk.count == policy.chunk {
                try fold(chunk)
                folded += chunk.count
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty {
            try fold(chunk)
            folded += chunk.count
        }
        return folded
    }

    private func fold(_ events: [RecordedEvent]) throws {
        try stateLock.withWriteLock { try foldLocked(events) }
    }

    private func foldLocked(_ events: [RecordedEvent]) throws {
        lock.lock()
        defer { lock.unlock() }
        try projection.apply(events)
        lock.broadcast()
        resumeWaiters()
        let due =
            projection.nextPosition - lastCheckpointPosition >= policy.checkpointEvents
            || ContinuousClock.now - lastCheckpointTime >= policy.checkpointInterval
        guard due else { return }
        // A checkpoint that fails (a full disk) is retried an interval later while folding goes on: the
        // state in memory stays right, and a crash meanwhile only means more events to fold on restart.
        do {
            try checkpointLocked(recordedAt: events.last!.recordedAt)
        } catch {
            if checkpointFailure == nil { logger.warning("checkpoint failed; folding on and retrying", metadata: ["error": "\(error)"]) }
            checkpointFailure = error
            lastCheckpointTime = ContinuousClock.now
        }
    }

    /// Why the last checkpoint failed, until one succeeds again.
    public var checkpointError: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return checkpointFailure
    }

    private func checkpointAfterCatchUp() {
        let behind = stateLock.withWriteLock {
            lock.lock()
            defer { lock.unlock() }
            return projection.nextPosition - lastCheckpointPosition
        }
        guard policy.checkpointAfterCatchUpEvents > 0, behind >= policy.checkpointAfterCatchUpEvents else { return }
        do { try checkpoint() } catch { logger.warning("checkpoint after catching up failed; retrying later", metadata: ["error": "\(error)"]) }
    }

    /// Checkpoints now (for shutdown and tests).
    public func checkpoint() throws {
        try stateLock.withWriteLock {
            lock.lock()
            defer { lock.unlock() }
            let p = projection.nextPosition
            try checkpointLocked(recordedAt: p == 0 ? .zero : journal.recordedAt(position: p - 1) ?? .zero)
        }
    }

    private func checkpointLocked(recordedAt: Timestamp) throws {
        try projection.checkpoint(recordedAt: recordedAt)
        if checkpointFailure != nil { logger.notice("checkpoint succeeded again") }
        checkpointFailure = nil
        lastCheckpointPosition = projection.nextPosition
        lastCheckpointTime = ContinuousClock.now
    }

    /// Blocks until the projection has folded every event before `position`, or `timeout` passes.
    public func waitUntil(folded position: UInt64, timeout: Duration = .seconds(5)) -> Bool {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        lock.lock()
        defer { lock.unlock() }
        while projection.nextPosition < position {
            if failure != nil || finished || !lock.wait(until: deadline) { return projection.nextPosition >= position }
        }
        return true
    }

    /// Waits without blocking a thread until everything before `position` is folded (or `timeout` passes, or
    /// the runner stops); returns whether it was.
    public func folded(_ position: UInt64, timeout: Duration) async -> Bool {
        let id = takeWaiterID()
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.resume(id: id)
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if projection.nextPosition >= position || finished || failure != nil {
                lock.unlock()
                c.resume()
                return
            }
            waiters.append((id, position, c))
            lock.unlock()
        }
        timer.cancel()
        return read { $0.nextPosition >= position }
    }

    private func takeWaiterID() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        nextWaiter += 1
        return nextWaiter
    }

    /// Resumes waiters whose position is folded, or all of them once the runner has stopped. Under `lock`.
    private func resumeWaiters() {
        guard !waiters.isEmpty else { return }
        let done = finished || failure != nil
        let next = projection.nextPosition
        var kept: [(id: UInt64, position: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        for w in waiters {
            if done || next >= w.position { w.continuation.resume() } else { kept.append(w) }
        }
        waiters = kept
    }

    private func resume(id: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        if let i = waiters.firstIndex(where: { $0.id == id }) { waiters.remove(at: i).continuation.resume() }
    }

    /// Starts following the journal on a dedicated thread (folding is CPU work and reads block).
    public func start() {
        let t = Thread { [self] in follow() }
        t.name = "reel-projection"
        lock.lock()
        thread = t
        lock.unlock()
        t.start()
    }

    /// Stops following after the current chunk and checkpoints.
    public func stop() throws {
        lock.lock()
        stopping = true
        while thread != nil && !finished { lock.wait() }
        lock.unlock()
        try checkpoint()
    }

    private func follow() {
        let pause = Double(policy.pollInterval.components.attoseconds) / 1e18 + Double(policy.pollInterval.components.seconds)
        var reachedHead = false
        while true {
            lock.lock()
            let stop = stopping
            lock.unlock()
            if stop { break }
            do {
                // Idle: sleep until the journal commits something new (bounded, so a stop is seen quickly).
                if try catchUp() == 0 {
                    if !reachedHead {
                        reachedHead = true
                        checkpointAfterCatchUp()
                    }
                    _ = journal.waitForCommit(beyond: read { $0.nextPosition }, timeout: .milliseconds(max(1, Int(pause * 1000)) * 50))
                }
            } catch {
                logger.error("projection stopped", metadata: ["error": "\(error)"])
                lock.lock()
                failure = error
                lock.unlock()
                break
            }
        }
        lock.lock()
        finished = true
        lock.broadcast()
        resumeWaiters()
        lock.unlock()
    }
}
