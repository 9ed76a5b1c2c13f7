import ReelDomain
import ReelJournal
import ReelRuntime
import Testing

/// The state after folding `events`, as a replay of the entity's stream would build it.
func given<E: EventSourcedEntity>(_ e: E.Type, id: UInt64, _ events: [ReelEvent]) -> E.State where E.Event == ReelEvent {
    var s = E.initialState(id: id)
    for event in events { E.evolve(&s, with: event) }
    return s
}

/// Expects `decide` to refuse the command with `code`; returns the rejection for further checks.
@discardableResult
func expectRejected<E: EventSourcedEntity>(
    _ code: String, _ e: E.Type, _ command: E.Command, state: E.State, context: E.Context,
    sourceLocation: SourceLocation = #_sourceLocation
) -> CommandRejected? {
    let error = #expect(throws: CommandRejected.self, sourceLocation: sourceLocation) {
        try E.decide(command, state: state, context: context)
    }
    #expect(error?.code == code, "\(error?.description ?? "no rejection")", sourceLocation: sourceLocation)
    return error
}

/// encode → decode → encode gives the same bytes, and the decoded state equals the original.
func expectCodecRoundTrip<E: EventSourcedEntity>(_ e: E.Type, _ state: E.State, sourceLocation: SourceLocation = #_sourceLocation) throws
where E.State: Equatable {
    let bytes = E.encodedState(state)
    let back = try E.decodedState(bytes)
    #expect(back == state, sourceLocation: sourceLocation)
    #expect(E.encodedState(back) == bytes, sourceLocation: sourceLocation)
    #expect(E.residentBytes(back) >= bytes.count / 2, sourceLocation: sourceLocation)
}

let t0 = Timestamp(milliseconds: 1_700_000_000_000)
func at(_ seconds: Int64) -> Timestamp { t0.adding(microseconds: seconds * 1_000_000) }
