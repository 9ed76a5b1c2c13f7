import ReelJournal

/// A viewing session began, with the context that trending, cold start and prefetch use.
public struct SessionStarted: DomainEvent {
    public static let type = "session.started"
    public static let version: UInt16 = 1

    public var session: UInt64
    public var viewer: UInt64
    public var region: String
    public var language: String
    public var device: String
    public var network: String
    public var occurredAt: Timestamp

    public init(
        session: UInt64, viewer: UInt64, region: String, language: String, device: String, network: String,
        occurredAt: Timestamp
    ) {
        self.session = session
        self.viewer = viewer
        self.region = region
        self.language = language
        self.device = device
        self.network = network
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.writeVarint(session)
        w.writeVarint(viewer)
        w.writeString(region)
        w.writeString(language)
        w.writeString(device)
        w.writeString(network)
        w.writeZigzag(occurredAt.milliseconds)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        session = try r.readVarint()
        viewer = try r.readVarint()
        region = try r.readString()
        language = try r.readString()
        device = try r.readString()
        network = try r.readString()
        occurredAt = Timestamp(milliseconds: try r.readZigzag())
    }

    public var fields: [(String, JSONValue)] {
        [
            ("session", .uint(session)), ("viewer", .uint(viewer)), ("region", .string(region)),
            ("language", .string(language)), ("device", .string(device)), ("network", .string(network)),
            ("occurredAt", .string(occurredAt.description)),
        ]
    }
}
