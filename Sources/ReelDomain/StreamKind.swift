import ReelJournal

/// The entity kinds of Reel's streams. The numbers are part of the journal format: never reuse one.
public enum StreamKind {
    public static let user: UInt16 = 1
    public static let session: UInt16 = 2
    public static let video: UInt16 = 3
    public static let creator: UInt16 = 4
    /// A moderation case: the reports and decisions about one video, comment or account, by the target's id.
    public static let moderation: UInt16 = 5
}

extension StreamID {
    public static func user(_ id: UInt64) -> StreamID { StreamID(kind: StreamKind.user, id: id) }
    public static func session(_ id: UInt64) -> StreamID { StreamID(kind: StreamKind.session, id: id) }
    public static func video(_ id: UInt64) -> StreamID { StreamID(kind: StreamKind.video, id: id) }
    public static func creator(_ id: UInt64) -> StreamID { StreamID(kind: StreamKind.creator, id: id) }
    public static func moderation(_ id: UInt64) -> StreamID { StreamID(kind: StreamKind.moderation, id: id) }
}
