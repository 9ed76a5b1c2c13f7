import ReelJournal

/// Entity states at past moments: the newest snapshot at or before the moment plus the stream's events up to
/// it. The cost is one snapshot read and at most `snapshotEvery` events, however old the moment.
public struct EntityTimeTravel<E: EventSourcedEntity>: Sendable {
    public let journal: Journal
    public let snapshots: SnapshotStore?
    public let upcast: @Sendable (inout RecordedEvent) throws(JournalError) -> Void

    public init(
        journal: Journal, snapshots: SnapshotStore?,
        upcast: @escaping @Sendable (inout RecordedEvent) throws(JournalError) -> Void = { _ in }
    ) {
        self.journal = journal
        self.snapshots = snapshots
        self.upcast = upcast
    }

    /// The entity as it was once every event at or before `position` was applied.
    public func state(of id: UInt64, atPosition position: UInt64) throws(JournalError) -> (state: E.State, version: UInt64) {
        let stream = StreamID(kind: E.kind, id: id)
        var s = E.initialState(id: id)
        var v: UInt64 = 0
        if let snap = try snapshots?.newest(of: stream, schemaVersion: E.stateVersion, atOrBefore: position),
            let decoded = try? E.decodedState(snap.state)
        {
            s = decoded
            v = snap.sequence
        }
        for (recorded, e) in try events(of: id, after: v, upTo: position) {
            E.evolve(&s, with: e)
            v = recorded.sequence
        }
        return (s, v)
    }

    /// The entity at a time (by the journal's `recordedAt`): the state after the last event recorded then.
    public func state(of id: UInt64, at time: Timestamp) throws(JournalError) -> (state: E.State, version: UInt64) {
        guard let p = journal.lastPosition(atOrBefore: time) else { return (E.initialState(id: id), 0) }
        return try state(of: id, atPosition: p)
    }

    /// Each event of the stream in (`from`, `to`] with the state before and after it: "which events changed what".
    public func changes(of id: UInt64, fromPosition from: UInt64?, toPosition to: UInt64) throws(JournalError) -> [Change] {
        var (s, v) = from.map { p in (try? state(of: id, atPosition: p)) ?? (E.initialState(id: id), 0) } ?? (E.initialState(id: id), 0)
        var out: [Change] = []
        for (recorded, e) in try events(of: id, after: v, upTo: to) {
            let before = s
            E.evolve(&s, with: e)
            v = recorded.sequence
            out.append(Change(event: recorded, decoded: e, before: before, after: s))
        }
        return out
    }

    public struct Change: Sendable {
        public var event: RecordedEvent
        public var decoded: E.Event
        public var before: E.State
        public var after: E.State
    }

    private func events(of id: UInt64, after sequence: UInt64, upTo position: UInt64) throws(JournalError) -> [(RecordedEvent, E.Event)] {
        var out: [(RecordedEvent, E.Event)] = []
        for recorded in try journal.readStream(StreamID(kind: E.kind, id: id), after: sequence, decryptPersonal: true) {
            guard recorded.position <= position else { break }
            var r = recorded
            try upcast(&r)
            if let e = try E.Event.decode(r) { out.append((recorded, e)) }
        }
        return out
    }
}
