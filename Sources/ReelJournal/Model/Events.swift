/// Who and what caused an event. All fields are optional 64-bit ids so that they cost one flag bit when absent.
public struct EventMetadata: Hashable, Sendable {
    /// Groups the events of one conversation or session (for watch events: the session id).
    public var correlationID: UInt64?
    /// What caused this event: usually the journal position of the causing event, or a command id.
    public var causationID: UInt64?
    /// The acting user, if any.
    public var actorID: UInt64?

    public init(correlationID: UInt64? = nil, causationID: UInt64? = nil, actorID: UInt64? = nil) {
        self.correlationID = correlationID
        self.causationID = causationID
        self.actorID = actorID
    }
}

/// Personal data attached to an event, in plain text, before the journal seals it.
///
/// The journal encrypts `bytes` with AES-256-GCM under the key of `subject` (see `KeyStore`); deleting that
/// key makes the data unreadable for ever while the journal's checksums and hash chain still verify.
public struct PersonalData: Hashable, Sendable {
    public var subject: UInt64
    public var bytes: [UInt8]
    public init(subject: UInt64, bytes: [UInt8]) {
        self.subject = subject
        self.bytes = bytes
    }
}

/// An event to append: its type and schema version, metadata, payload and optional personal data.
public struct NewEvent: Sendable, Hashable {
    public var type: String
    public var version: UInt16
    public var metadata: EventMetadata
    public var payload: [UInt8]
    public var personal: PersonalData?

    public init(
        type: String, version: UInt16 = 1, metadata: EventMetadata = .init(), payload: [UInt8],
        personal: PersonalData? = nil
    ) {
        self.type = type
        self.version = version
        self.metadata = metadata
        self.payload = payload
        self.personal = personal
    }
}

/// The state of an event's personal data as read back.
public enum PersonalField: Hashable, Sendable {
    /// Decrypted with the subject's key.
    case plain(PersonalData)
    /// Still encrypted: the reader did not ask for decryption (raw reads, `verify`).
    case sealed(subject: UInt64, nonceAndCiphertext: [UInt8])
    /// The subject's key was deleted: the data is gone for good.
    case erased(subject: UInt64)

    public var subject: UInt64 {
        switch self {
        case .plain(let p): p.subject
        case .sealed(let s, _), .erased(let s): s
        }
    }
    public var plainBytes: [UInt8]? {
        if case .plain(let p) = self { return p.bytes }
        return nil
    }
}

/// An event as stored: the envelope the journal assigned plus what the writer gave.
public struct RecordedEvent: Sendable, Hashable {
    /// Global position, dense from 0 across the whole journal.
    public var position: UInt64
    public var stream: StreamID
    /// Sequence within the stream, dense from 1.
    public var sequence: UInt64
    /// The journal's clock when the batch was committed (monotonic across the journal).
    public var recordedAt: Timestamp
    public var type: String
    public var version: UInt16
    public var metadata: EventMetadata
    public var payload: [UInt8]
    public var personal: PersonalField?

    public init(
        position: UInt64, stream: StreamID, sequence: UInt64, recordedAt: Timestamp, type: String,
        version: UInt16, metadata: EventMetadata, payload: [UInt8], personal: PersonalField?
    ) {
        self.position = position
        self.stream = stream
        self.sequence = sequence
        self.recordedAt = recordedAt
        self.type = type
        self.version = version
        self.metadata = metadata
        self.payload = payload
        self.personal = personal
    }
}

/// The optimistic-concurrency condition of an append to one stream.
public enum ExpectedVersion: Hashable, Sendable {
    /// Append whatever the stream's version is.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's last sequence must be exactly this (0 means empty).
    case exact(UInt64)
}

/// Events to append to one stream under one condition.
public struct StreamWrite: Sendable {
    public var stream: StreamID
    public var expected: ExpectedVersion
    public var events: [NewEvent]
    public init(stream: StreamID, expected: ExpectedVersion = .any, events: [NewEvent]) {
        self.stream = stream
        self.expected = expected
        self.events = events
    }
}

/// Where an acknowledged append landed.
public struct AppendResult: Hashable, Sendable {
    /// Position of the call's first event; its events occupy consecutive positions.
    public var firstPosition: UInt64
    /// For each `StreamWrite` of the call, in order: the stream's last sequence after the append.
    public var lastSequences: [UInt64]
    public var recordedAt: Timestamp
}
