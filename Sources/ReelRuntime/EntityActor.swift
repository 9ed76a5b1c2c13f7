import ReelJournal
import Synchronization

/// The actor that owns one entity: it decides commands one at a time against the newest state and persists
/// the decided events through the journal.
///
/// Reentrancy: `decide` and the speculative `evolve` run synchronously inside one actor turn, and the append is
/// submitted (in order) before the actor suspends, with the stream version it decided against as the expected
/// version. A second command that arrives while the first is in flight therefore validates against a state
/// that already includes the first one's events, never a stale one; its append is ordered after the first. If
/// an append fails, every later in-flight append of this entity fails too (its expected version no longer
/// matches), and the actor reloads its state from the journal before deciding again. Replies are sent only
/// once the command's events are durable, and queries see only durable state.
///
/// Only the speculative state is kept. While appends are in flight the durable state is not in memory: a
/// query then folds it from the journal (newest snapshot plus the durable tail), as an activation does. Keeping
/// a second copy cost every command a copy of the state and of its arrays (decision 0018); queries during an
/// append are rare. A snapshot due while appends are in flight copies the speculative state once and is saved
/// when the append that reached it is acknowledged.
public actor EntityActor<E: EventSourcedEntity> {
    public nonisolated let id: UInt64
    public nonisolated let stream: StreamID
    let host: EntityHost<E>
    /// When it was last used (nanoseconds on the registry's clock), for idle and least-recently-used passivation.
    nonisolated let lastUse = Atomic<UInt64>(0)
    /// The last `residentBytes` this actor reported to the registry.
    nonisolated let reportedBytes = Atomic<Int>(0)

    private var state: E.State
    /// The stream version `state` includes (in-flight events counted).
    private var version: UInt64 = 0
    private var activated = false
    private var passivated = false
    /// The last acknowledged (durable) stream version; `version` when nothing is in flight.
    private var durableVersion: UInt64 = 0
    /// The last sequence of each in-flight append, oldest first.
    private var inFlight: [UInt64] = []
    /// A snapshot of the speculative state, saved when the append that reached its version is acknowledged.
    private var pendingSnapshot: Versioned?

    // A struct, not a tuple: a tuple with a generic element has its type metadata looked up under a global lock
    // on every use (tuple metadata was 5 % of `reel bench actors --warm`); a nominal type's is cached per type.
    private struct Versioned {
        var state: E.State
        var version: UInt64
    }
    private var needsReload = false
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    private var snapshotSequence: UInt64 = 0

    init(id: UInt64, host: EntityHost<E>) {
        self.id = id
        self.stream = StreamID(kind: E.kind, id: id)
        self.host = host
        self.state = E.initialState(id: id)
    }

    /// Decides and persists a command; returns once its events are durable.
    func send(_ command: E.Command) async throws -> CommandReceipt {
        var attempts = 0
        while true {
            try await prepare()
            let events = try E.decide(command, state: state, context: host.context)
            if events.isEmpty { return CommandReceipt(version: version, firstPosition: nil, eventCount: 0) }
            let expected = version
            var metadata = E.metadata(for: command, state: state)
            if let id = CommandCausation.id { metadata.causationID = id }
            for e in events { E.evolve(&state, with: e) }
            version += UInt64(events.count)
            inFlight.append(version)
            let write = StreamWrite(
                stream: stream, expected: expected == 0 ? .noStream : .exact(expected),
                events: events.map { $0.newEvent(metadata: metadata) })
            // Unsafe, not checked: `submit` calls its completion exactly once (the checked kind allocates a canary).
            let outcome = await withUnsafeContinuation { (c: UnsafeContinuation<Result<AppendResult, JournalError>, Never>) in
                host.journal.submit([write]) { c.resume(returning: $0) }
            }
            switch outcome {
            case .success(let r):
                acknowledge(upTo: r.lastSequences[0], lastPosition: r.firstPosition + UInt64(events.count) - 1, at: r.recordedAt)
                return CommandReceipt(version: r.lastSequences[0], firstPosition: r.firstPosition, eventCount: events.count)
            case .failure(let error):
                failed(sequence: version)
                // A conflict means another writer (or an earlier failed append) moved the stream: reload and
                // decide again. Anything else (disk full, closed) is the caller's to see.
                attempts += 1
                guard error.code == .wrongExpectedVersion, attempts < 3 else { throw error }
            }
        }
    }

    /// The durable state (activating the entity if needed).
    func read() async throws -> (state: E.State, version: UInt64) {
        try await prepare()
        if inFlight.isEmpty { return (state, version) }
        let d = try foldDurable()
        return (d.state, d.version)
    }

    /// The durable state while appends are in flight: the newest snapshot plus the stream's events up to
    /// `durableVersion`, read from the journal (it holds nothing unacknowledged that is not also durable).
    private func foldDurable() throws -> Versioned {
        var d = Versioned(state: E.initialState(id: id), version: 0)
        if durableVersion >= UInt64(max(1, host.policy.snapshotLookupMinimumEvents)),
            let snap = try host.snapshot(of: stream), snap.sequence <= durableVersion
        {
            d = Versioned(state: snap.state, version: snap.sequence)
        }
        guard durableVersion > d.version else { return d }
        for recorded in try host.journal.readStream(stream, after: d.version, limit: Int(durableVersion - d.version), decryptPersonal: true) {
            var r = recorded
            try host.upcast(&r)
            if let e = try E.Event.decode(r) { E.evolve(&d.state, with: e) }
            d.version = recorded.sequence
        }
        return d
    }

    /// Stops this actor if nothing is in flight: saves a snapshot when the state moved since the last one.
    /// Returns false (and stays active) when busy. Later messages get `Passivated` and go to a fresh actor.
    func passivate() -> Bool {
        guard !passivated else { return true }
        guard inFlight.isEmpty, drainWaiters.isEmpty else { return false }
        passivated = true
        // A stream shorter than `snapshotLookupMinimumEvents` is activated without a snapshot: none is saved.
        // After a failed append the speculative state is not the durable one until a reload: no snapshot then.
        if activated && !needsReload && version > snapshotSequence && version >= UInt64(host.policy.snapshotLookupMinimumEvents),
            let last = lastDurable
        {
            host.saveSnapshot(of: stream, state: state, sequence: version, position: last.position, at: last.recordedAt)
        }
        return true
    }

    private var lastDurable: (position: UInt64, recordedAt: Timestamp)?

    func adopt(state: E.State, version: UInt64) {
        self.state = state
        self.version = version
        durableVersion = version
        snapshotSequence = version
        activated = true
        host.reportSize(self, bytes: E.residentBytes(state))
    }

    private func prepare() async throws {
        if passivated { throw Passivated() }
        if !activated { try activate() }
        while needsReload {
            if !inFlight.isEmpty {
                await withCheckedContinuation { drainWaiters.append($0) }
                if passivated { throw Passivated() }
                continue
            }
            try reload()
        }
    }

    private func activate() throws {
        let started = ContinuousClock.now
        try reload()
        activated = true
        host.metrics.activated(after: ContinuousClock.now - started)
    }

    /// Newest snapshot plus the stream's tail.
    private func reload() throws {
        var s = E.initialState(id: id)
        var v: UInt64 = 0
        // A stream without events (a new session, user or video) has no snapshot either: its first command
        // costs no snapshot query and no read.
        let streamVersion = try host.journal.version(of: stream)
        if streamVersion > 0 {
            if streamVersion >= UInt64(max(1, host.policy.snapshotLookupMinimumEvents)), let snap = try host.snapshot(of: stream) {
                s = snap.state
                v = snap.sequence
                snapshotSequence = snap.sequence
                lastDurable = (snap.position, snap.recordedAt)
            }
            for recorded in try host.journal.readStream(stream, after: v, decryptPersonal: true) {
                var r = recorded
                try host.upcast(&r)
                if let e = try E.Event.decode(r) { E.evolve(&s, with: e) }
                v = recorded.sequence
                lastDurable = (recorded.position, recorded.recordedAt)
            }
        }
        state = s
        version = v
        durableVersion = v
        pendingSnapshot = nil
        needsReload = false
        host.reportSize(self, bytes: E.residentBytes(s))
    }

    private func acknowledge(upTo sequence: UInt64, lastPosition: UInt64, at time: Timestamp) {
        // A snapshot taken from the speculative state waits for its own append to be acknowledged.
        if let p = pendingSnapshot, sequence == p.version {
            pendingSnapshot = nil
            if p.version > snapshotSequence {
                snapshotSequence = p.version
                host.saveSnapshot(of: stream, state: p.state, sequence: p.version, position: lastPosition, at: time)
            }
        }
        // Acknowledgements can reach the actor out of order (tasks resumed together); one covers all before it.
        guard sequence > durableVersion else { return }
        durableVersion = sequence
        lastDurable = (lastPosition, time)
        let done = inFlight.prefix { $0 <= sequence }.count
        inFlight.removeFirst(done)
        if inFlight.isEmpty { resumeDrainWaiters() }
        host.reportSize(self, bytes: E.residentBytes(state))
        guard durableVersion >= snapshotSequence + UInt64(host.policy.snapshotEvery), !needsReload else { return }
        if inFlight.isEmpty {
            // The speculative state is the durable one.
            snapshotSequence = version
            host.saveSnapshot(of: stream, state: state, sequence: version, position: lastPosition, at: time)
        } else if pendingSnapshot == nil {
            // Busy: keep the speculative state now, and save it once its last append is durable (a busy entity
            // rarely has nothing in flight).
            pendingSnapshot = Versioned(state: state, version: version)
        }
    }

    private func failed(sequence: UInt64) {
        inFlight.removeAll { $0 == sequence }
        pendingSnapshot = nil
        // The speculative state includes the failed events: the next `prepare` reloads the durable one (once
        // the later in-flight appends, which fail too, have drained).
        needsReload = true
        if inFlight.isEmpty { resumeDrainWaiters() }
    }

    private func resumeDrainWaiters() {
        let waiters = drainWaiters
        drainWaiters.removeAll()
        for w in waiters { w.resume() }
    }
}

/// Where a command's events landed.
public struct CommandReceipt: Sendable, Hashable {
    /// The entity's stream version after the command.
    public var version: UInt64
    /// Journal position of the first event (nil when the command decided no events).
    public var firstPosition: UInt64?
    public var eventCount: Int
    /// The last journal position the command wrote, to wait for views to reach (read your writes).
    public var lastPosition: UInt64? { firstPosition.map { $0 + UInt64(eventCount) - 1 } }
}

/// The actor was passivated between lookup and delivery; the registry retries with a fresh one.
struct Passivated: Error {}
