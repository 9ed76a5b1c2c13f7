import ReelJournal

/// An event an entity decides and folds, with its journal encoding.
public protocol EntityEvent: Sendable {
    /// The journal form (type, version, payload and any personal data to seal).
    func newEvent(metadata: EventMetadata) -> NewEvent
    /// Decodes a recorded event (already upcast); nil when the type is not one this event family knows.
    static func decode(_ recorded: RecordedEvent) throws(JournalError) -> Self?
}

/// A command an entity refused, with a stable code and a message that says what was wrong.
public struct CommandRejected: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}

/// An event-sourced entity: a pure pair of functions over a state.
///
/// `decide` validates a command against the current state (and, for checks that need another entity's
/// public state, a read-only `Context` backed by views) and returns the events to record; it never has
/// effects. `evolve` folds one event into the state; it must be a pure function of (state, event) so that
/// replaying a stream in any process rebuilds the same state. It is written in the `inout` form only to
/// avoid copying large states on every event. It sees only the event (whose payload carries `occurredAt`),
/// not the journal position or `recordedAt`: the actor applies decided events before the journal has
/// assigned those, and the state must not depend on them.
public protocol EventSourcedEntity: Sendable {
    associatedtype State: Sendable
    associatedtype Command: Sendable
    associatedtype Event: EntityEvent
    associatedtype Context: Sendable

    /// The stream kind of this entity's streams (see `StreamKind`).
    static var kind: UInt16 { get }
    static func initialState(id: UInt64) -> State
    static func decide(_ command: Command, state: State, context: Context) throws(CommandRejected) -> [Event]
    static func evolve(_ state: inout State, with event: Event)

    /// The snapshot encoding's version: bump it when `encode`/`decode` change; old snapshots are then
    /// ignored and the state is rebuilt from events.
    static var stateVersion: UInt16 { get }
    static func encode(_ state: State, into w: inout ByteWriter)
    static func decode(_ r: inout ByteReader) throws(JournalError) -> State
    /// Approximate bytes the state holds in memory, for the registry's memory budget.
    static func residentBytes(_ state: State) -> Int
    /// The metadata recorded with the events a command produces (actor, correlation), from the command and
    /// the state it was decided against.
    static func metadata(for command: Command, state: State) -> EventMetadata
}

extension EventSourcedEntity {
    public static func metadata(for command: Command, state: State) -> EventMetadata { EventMetadata() }

    /// The state after folding `events` into `state` (the pure, value-returning form of `evolve`).
    public static func evolved(_ state: State, with events: [Event]) -> State {
        var s = state
        for e in events { evolve(&s, with: e) }
        return s
    }

    public static func encodedState(_ state: State) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        encode(state, into: &w)
        return w.bytes
    }

    public static func decodedState(_ bytes: [UInt8]) throws(JournalError) -> State {
        try bytes.withBytes { (raw) throws(JournalError) in
            var r = ByteReader(raw)
            let s = try decode(&r)
            guard r.isAtEnd else { throw JournalError(.malformed, "\(r.remaining) stray bytes after a snapshot state") }
            return s
        }
    }
}

/// What the journal assigned to an event, passed to `evolve` (positions are deterministic; `recordedAt` is
/// the journal's clock, never the wall clock of the folding process).
public struct EventEnvelope: Sendable, Hashable {
    public var position: UInt64
    public var sequence: UInt64
    public var recordedAt: Timestamp
    public init(position: UInt64, sequence: UInt64, recordedAt: Timestamp) {
        self.position = position
        self.sequence = sequence
        self.recordedAt = recordedAt
    }
    public init(_ e: RecordedEvent) {
        self.init(position: e.position, sequence: e.sequence, recordedAt: e.recordedAt)
    }
}
