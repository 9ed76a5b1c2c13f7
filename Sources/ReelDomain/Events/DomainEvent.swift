import ReelJournal

/// A domain event with a stable type name, a schema version and a compact binary payload.
///
/// Payloads are positional: fields in a fixed order with the journal's primitive encodings (varint, zigzag,
/// length-prefixed bytes). A change of fields is a new `version` plus an `Upcaster` from the old one.
public protocol DomainEvent: Sendable, Hashable {
    static var type: String { get }
    static var version: UInt16 { get }
    /// When it happened (client time or import time); `recordedAt` is the journal's.
    var occurredAt: Timestamp { get }
    func encodePayload(into w: inout ByteWriter)
    init(decoding r: inout ByteReader) throws(JournalError)
    /// The event as JSON-ready fields (for `reel journal dump` and audits).
    var fields: [(String, JSONValue)] { get }
}

extension DomainEvent {
    /// The payload's fields in declaration order (types may spell them out instead).
    public var fields: [(String, JSONValue)] { mirroredFields(self) }

    public func payload() -> [UInt8] {
        var w = ByteWriter(capacity: 48)
        encodePayload(into: &w)
        return w.bytes
    }

    public static func decode(_ payload: [UInt8]) throws(JournalError) -> Self {
        try payload.withBytes { (raw) throws(JournalError) in
            var r = ByteReader(raw)
            let e = try Self(decoding: &r)
            guard r.isAtEnd else { throw JournalError(.malformed, "\(r.remaining) stray bytes after a \(Self.type) payload") }
            return e
        }
    }

    /// A journal event for this payload.
    public func newEvent(metadata: EventMetadata = .init(), personal: PersonalData? = nil) -> NewEvent {
        NewEvent(type: Self.type, version: Self.version, metadata: metadata, payload: payload(), personal: personal)
    }
}
