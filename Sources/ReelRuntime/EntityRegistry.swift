import Logging
import ReelJournal
import Synchronization

/// How a registry keeps entities in memory.
public struct EntityPolicy: Sendable, Hashable {
    /// Save a snapshot after this many events since the previous one (and on passivation).
    public var snapshotEvery: Int = 100
    /// Passivate an entity after it has not been used for this long.
    public var idleTimeout: Duration = .seconds(300)
    /// Passivate least recently used entities when more than this many are resident.
    public var maxResidentEntities: Int = 1_000_000
    /// ... or when their states take more than this many bytes (by `EventSourcedEntity.residentBytes`).
    public var maxResidentBytes: Int = 1 << 30
    /// Streams with fewer events than this are activated by folding their events alone: for them a snapshot
    /// lookup (an SQLite read) costs more than the few event reads it would save. 1 always looks.
    public var snapshotLookupMinimumEvents: Int = 4
    public init() {}
}

/// What every actor of one entity type shares: the journal, the snapshot store, the lookups for `decide`,
/// the policy and the counters.
public final class EntityHost<E: EventSourcedEntity>: Sendable {
    let journal: Journal
    let snapshots: SnapshotWriter?
    let context: E.Context
    let policy: EntityPolicy
    let metrics = RegistryMetrics()
    let upcast: @Sendable (inout RecordedEvent) throws(JournalError) -> Void
    let residentBytes = Atomic<Int>(0)

    init(
        journal: Journal, snapshots: SnapshotWriter?, context: E.Context, policy: EntityPolicy,
        upcast: @escaping @Sendable (inout RecordedEvent) throws(JournalError) -> Void
    ) {
        self.journal = journal
        self.snapshots = snapshots
        self.context = context
        self.policy = policy
        self.upcast = upcast
    }

    func snapshot(of stream: StreamID) throws(JournalError) -> (state: E.State, sequence: UInt64, position: UInt64, recordedAt: Timestamp)? {
        guard let snap = try snapshots?.store.newest(of: stream, schemaVersion: E.stateVersion) else { return nil }
        // A snapshot that no longer decodes is ignored: the stream's events rebuild the state.
        guard let s = try? E.decodedState(snap.state) else { return nil }
        return (s, snap.sequence, snap.position, snap.recordedAt)
    }

    func saveSnapshot(of stream: StreamID, state: E.State, sequence: UInt64, position: UInt64, at time: Timestamp) {
        guard let snapshots else { return }
        snapshots.enqueue(
            Snapshot(
                stream: stream, sequence: sequence, position: position, recordedAt: time, schemaVersion: E.stateVersion,
                state: E.encodedState(state)))
        metrics.snapshotsTaken.add(1, ordering: .relaxed)
    }

    func reportSize(_ actor: EntityActor<E>, bytes: Int) {
        // Most commands leave the size as it was (a session's lists are bounded): then the shared counter,
        // which every core's actors write, is not touched.
        guard actor.reportedBytes.load(ordering: .relaxed) != bytes else { return }
        let old = actor.reportedBytes.exchange(bytes, ordering: .relaxed)
        residentBytes.add(bytes - old, ordering: .relaxed)
    }
}

/// Finds or activates the actor of an entity, and passivates idle ones. Lookups are sharded so that many
/// clients do not contend on one lock; the actors themselves do the work.
public final class EntityRegistry<E: EventSourcedEntity>: Sendable {
    let host: EntityHost<E>
    private let shards: [Shard]
    private let started = ContinuousClock.now
    private let logger = Logger(label: "reel.registry")

    final class Shard: Sendable {
        let actors = Mutex<[UInt64: EntityActor<E>]>([:])
    }

    /// `upcast` brings old event versions to the current ones before `decide`/`evolve` see them.
    public init(
        journal: Journal, snapshots: SnapshotWriter?, context: E.Context, policy: EntityPolicy = .init(),
        upcast: @escaping @Sendable (inout RecordedEvent) throws(JournalError) -> Void = { _ in }
    ) {
        host = EntityHost(journal: journal, snapshots: snapshots, context: context, policy: policy, upcast: upcast)
        shards = (0..<64).map { _ in Shard() }
    }

    public var metrics: RegistryMetrics { host.metrics }

    /// Decides and persists `command` on entity `id`, activating it if needed; returns once durable.
    @discardableResult
    public func send(_ command: E.Command, to id: UInt64) async throws -> CommandReceipt {
        while true {
            do {
                return try await actor(for: id).send(command)
            } catch is Passivated {
                continue
            }
        }
    }

    /// The entity's current durable state and version.
    public func state(of id: UInt64) async throws -> (state: E.State, version: UInt64) {
        while true {
            do {
                return try await actor(for: id).read()
            } catch is Passivated {
                continue
            }
        }
    }

    /// Installs an already-folded state as a resident entity without reading the journal: for warm starts
    /// from bulk-loaded snapshots and for measuring memory. `version` must be the stream's durable version.
    public func preload(id: UInt64, state: E.State, version: UInt64) async {
        let a = EntityActor(id: id, host: host)
        await a.adopt(state: state, version: version)
        shard(id).actors.withLock { $0[id] = a }
    }

    public var residentCount: Int { shards.reduce(0) { n, s in n + s.actors.withLock { $0.count } } }
    public var residentBytes: Int { host.residentBytes.load(ordering: .relaxed) }

    private func shard(_ id: UInt64) -> Shard { shards[Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> 58)] }

    private func actor(for id: UInt64) -> EntityActor<E> {
        let tick = nanosSinceStart()
        let a = shard(id).actors.withLock { actors -> EntityActor<E> in
            if let a = actors[id] { return a }
            let a = EntityActor(id: id, host: host)
            actors[id] = a
            return a
        }
        a.lastUse.store(tick, ordering: .relaxed)
        return a
    }

    private func nanosSinceStart() -> UInt64 {
        let d = ContinuousClock.now - started
        return UInt64(d.components.seconds) * 1_000_000_000 + UInt64(d.components.attoseconds / 1_000_000_000)
    }

    /// Passivates entities idle for longer than the policy's `idleTimeout`, and the least recently used ones
    /// while over the memory budget. Returns how many were passivated. Hosts call it periodically.
    @discardableResult
    public func maintain() async -> Int {
        let now = nanosSinceStart()
        let idle = host.policy.idleTimeout.components
        let idleNanos = UInt64(idle.seconds) * 1_000_000_000 + UInt64(idle.attoseconds / 1_000_000_000)
        var candidates: [(use: UInt64, actor: EntityActor<E>)] = []
        for s in shards { s.actors.withLock { for a in $0.values { candidates.append((a.lastUse.load(ordering: .relaxed), a)) } } }
        var victims: [EntityActor<E>] = []
        victims += candidates.filter { now &- $0.use > idleNanos }.map(\.actor)
        let idleSet = Set(victims.map { ObjectIdentifier($0) })
        let overCount = candidates.count - host.policy.maxResidentEntities
        if overCount > 0 || residentBytes > host.policy.maxResidentBytes {
            // Evict down to 90 % of the budget so the sort is paid rarely.
            candidates.sort { $0.use < $1.use }
            let byCount = max(0, candidates.count - host.policy.maxResidentEntities * 9 / 10)
            let average = max(1, residentBytes / max(1, candidates.count))
            let byBytes = max(0, (residentBytes - host.policy.maxResidentBytes * 9 / 10) / average)
            // Entities already leaving as idle count towards the budget and are not passivated twice.
            victims += candidates.prefix(max(byCount, byBytes)).map(\.actor).filter { !idleSet.contains(ObjectIdentifier($0)) }
        }
        return await passivate(victims)
    }

    /// Passivates every resident entity (on shutdown): each saves a snapshot if it moved.
    @discardableResult
    public func passivateAll() async -> Int {
        var all: [EntityActor<E>] = []
        for s in shards { s.actors.withLock { all.append(contentsOf: $0.values) } }
        return await passivate(all)
    }

    /// Passivates these entities if resident (an erasure does, so no actor keeps an erased person's data in
    /// memory); their snapshots are handed to the writer as usual.
    @discardableResult
    public func passivate(ids: [UInt64]) async -> Int {
        var found: [EntityActor<E>] = []
        for id in ids { if let a = shard(id).actors.withLock({ $0[id] }) { found.append(a) } }
        return await passivate(found)
    }

    private func passivate(_ actors: [EntityActor<E>]) async -> Int {
        var n = 0
        for a in actors {
            let started = ContinuousClock.now
            guard await a.passivate() else { continue }
            shard(a.id).actors.withLock { if $0[a.id] === a { $0[a.id] = nil } }
            host.reportSize(a, bytes: 0)
            host.metrics.passivated(after: ContinuousClock.now - started)
            n += 1
        }
        return n
    }
}
