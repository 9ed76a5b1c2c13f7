import ReelJournal

/// A viewer watched (part of) a video in a session. Decided by the viewer's session: its stream is the session.
public struct VideoWatched: DomainEvent {
    public static let type = "video.watched"
    public static let version: UInt16 = 1

    public var viewer: UInt64
    public var video: UInt64
    public var session: UInt64
    /// Total time watched, loops included.
    public var watchMillis: UInt64
    public var durationMillis: UInt64
    /// Times the video restarted after finishing.
    public var loops: UInt64
    public var completed: Bool
    public var occurredAt: Timestamp

    public init(
        viewer: UInt64, video: UInt64, session: UInt64, watchMillis: UInt64, durationMillis: UInt64, loops: UInt64,
        completed: Bool, occurredAt: Timestamp
    ) {
        self.viewer = viewer
        self.video = video
        self.session = session
        self.watchMillis = watchMillis
        self.durationMillis = durationMillis
        self.loops = loops
        self.completed = completed
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.writeVarint(viewer)
        w.writeVarint(video)
        w.writeVarint(session)
        w.writeVarint(watchMillis)
        w.writeVarint(durationMillis)
        w.writeVarint(loops)
        w.writeByte(completed ? 1 : 0)
        w.writeZigzag(occurredAt.milliseconds)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        viewer = try r.readVarint()
        video = try r.readVarint()
        session = try r.readVarint()
        watchMillis = try r.readVarint()
        durationMillis = try r.readVarint()
        loops = try r.readVarint()
        let c = try r.readByte()
        guard c <= 1 else { throw JournalError(.malformed, "completed flag must be 0 or 1, got \(c)") }
        completed = c == 1
        occurredAt = Timestamp(milliseconds: try r.readZigzag())
    }

    public var fields: [(String, JSONValue)] {
        [
            ("viewer", .uint(viewer)), ("video", .uint(video)), ("session", .uint(session)),
            ("watchMillis", .uint(watchMillis)), ("durationMillis", .uint(durationMillis)), ("loops", .uint(loops)),
            ("completed", .bool(completed)), ("occurredAt", .string(occurredAt.description)),
        ]
    }
}
