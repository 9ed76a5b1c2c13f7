import ReelJournal

/// Every domain event type this code knows, with the upcasters that bring old versions to the current one.
/// Used to render events (dump, audit) and by replay.
public enum EventCatalog {
    public static let types: [any DomainEvent.Type] = ReelEvent.types

    /// Upcasters from older payload versions: each new version adds its step here, and a test with the old
    /// version's bytes keeps proving it.
    public static let upcasters = UpcasterChain([ProcessingSucceeded.upcasterFromVersion1] + SealedFields.upcasters)

    private static let byType: [String: any DomainEvent.Type] = Dictionary(
        uniqueKeysWithValues: types.map { ($0.type, $0) })

    /// Decodes a recorded event (after upcasting) into JSON fields; unknown types render as hex.
    public static func payloadJSON(_ event: RecordedEvent) throws(JournalError) -> JSONValue {
        var e = event
        try upcasters.upcast(&e)
        guard let t = byType[e.type], e.version == t.version else {
            return .object([("unknownType", .string(e.type)), ("hex", .string(e.payload.hexString))])
        }
        return .object(try t.decode(e.payload).fields)
    }

    /// The whole event as a JSON object: envelope, metadata, payload and personal data state.
    public static func json(_ e: RecordedEvent) throws(JournalError) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("position", .uint(e.position)), ("stream", .string(e.stream.description)), ("sequence", .uint(e.sequence)),
            ("recordedAt", .string(e.recordedAt.description)), ("type", .string(e.type)), ("version", .uint(UInt64(e.version))),
        ]
        var meta: [(String, JSONValue)] = []
        if let c = e.metadata.correlationID { meta.append(("correlation", .uint(c))) }
        if let c = e.metadata.causationID { meta.append(("causation", .uint(c))) }
        if let a = e.metadata.actorID { meta.append(("actor", .uint(a))) }
        if !meta.isEmpty { fields.append(("metadata", .object(meta))) }
        fields.append(("payload", try payloadJSON(e)))
        switch e.personal {
        case .none: break
        case .plain(let p):
            if e.version >= 2, let strings = try? SealedFields.decode(p.bytes) {
                let names = SealedFields.names(of: e.type, count: strings.count)
                fields.append(("personal", .object(zip(names, strings).map { ($0, .string($1)) })))
            } else if e.type == UserRegistered.type, let profile = try? PersonalProfile.decode(p.bytes) {
                fields.append(("personal", .object([("email", .string(profile.email)), ("displayName", .string(profile.displayName))])))
            } else {
                fields.append(("personal", .object([("hex", .string(p.bytes.hexString))])))
            }
        case .sealed(let s, _): fields.append(("personal", .object([("sealed", .bool(true)), ("subject", .uint(s))])))
        case .erased(let s): fields.append(("personal", .object([("erased", .bool(true)), ("subject", .uint(s))])))
        }
        return .object(fields)
    }
}

extension EventCatalog {
    /// The fold every projection of domain events shares: events must continue at `next` without a gap (a
    /// projection that skipped one would be silently wrong); each is upcast, decoded and handed to `apply`
    /// (unknown types are skipped), and `next` moves past it.
    /// Upcasts and decodes events (unknown types are left out), for folds that split decoding from applying.
    public static func decode(_ events: ArraySlice<RecordedEvent>) throws -> [ReelEvent] {
        var out: [ReelEvent] = []
        out.reserveCapacity(events.count)
        for recorded in events {
            var r = recorded
            try upcasters.upcast(&r)
            if let e = try ReelEvent.decode(r) { out.append(e) }
        }
        return out
    }

    public static func fold(_ events: [RecordedEvent], next: inout UInt64, into apply: (ReelEvent) -> Void) throws {
        for recorded in events {
            precondition(recorded.position == next, "projections fold events in order: expected \(next), got \(recorded.position)")
            var r = recorded
            try upcasters.upcast(&r)
            if let e = try ReelEvent.decode(r) { apply(e) }
            next = recorded.position + 1
        }
    }
}
