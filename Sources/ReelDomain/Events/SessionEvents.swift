import ReelJournal

// Events of a viewing session's stream (`StreamID.session(id)`): the viewer's engagement is decided here, so a
// viral video or creator never serializes writes.

/// The viewing session ended (the viewer left, or it idled out).
public struct SessionEnded: DomainEvent {
    public static let type = "session.ended"
    public static let version: UInt16 = 1

    public var session: UInt64
    public var viewer: UInt64
    public var occurredAt: Timestamp

    public init(session: UInt64, viewer: UInt64, occurredAt: Timestamp) {
        self.session = session
        self.viewer = viewer
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(session)
        w.put(viewer)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        session = try r.get()
        viewer = try r.get()
        occurredAt = try r.get()
    }
}

/// The viewer swiped away after `watchedMillis` (a quick skip is a negative signal).
public struct VideoSkipped: DomainEvent {
    public static let type = "video.skipped"
    public static let version: UInt16 = 1

    public var viewer: UInt64
    public var video: UInt64
    public var session: UInt64
    public var watchedMillis: UInt64
    public var durationMillis: UInt64
    public var occurredAt: Timestamp

    public init(viewer: UInt64, video: UInt64, session: UInt64, watchedMillis: UInt64, durationMillis: UInt64, occurredAt: Timestamp) {
        self.viewer = viewer
        self.video = video
        self.session = session
        self.watchedMillis = watchedMillis
        self.durationMillis = durationMillis
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(viewer)
        w.put(video)
        w.put(session)
        w.put(watchedMillis)
        w.put(durationMillis)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        viewer = try r.get()
        video = try r.get()
        session = try r.get()
        watchedMillis = try r.get()
        durationMillis = try r.get()
        occurredAt = try r.get()
    }
}

/// The viewer liked a video (`creator` is the video's creator, recorded so per-creator counts need no lookup).
public struct VideoLiked: DomainEvent {
    public static let type = "video.liked"
    public static let version: UInt16 = 1

    public var viewer: UInt64
    public var video: UInt64
    public var session: UInt64
    public var creator: UInt64
    public var occurredAt: Timestamp

    public init(viewer: UInt64, video: UInt64, session: UInt64, creator: UInt64, occurredAt: Timestamp) {
        self.viewer = viewer
        self.video = video
        self.session = session
        self.creator = creator
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(viewer)
        w.put(video)
        w.put(session)
        w.put(creator)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        viewer = try r.get()
        video = try r.get()
        session = try r.get()
        creator = try r.get()
        occurredAt = try r.get()
    }
}

/// The viewer took a like back.
public struct VideoUnliked: DomainEvent {
    public static let type = "video.unliked"
    public static let version: UInt16 = 1

    public var viewer: UInt64
    public var video: UInt64
    public var session: UInt64
    public var creator: UInt64
    public var occurredAt: Timestamp

    public init(viewer: UInt64, video: UInt64, session: UInt64, creator: UInt64, occurredAt: Timestamp) {
        self.viewer = viewer
        self.video = video
        self.session = session
        self.creator = creator
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(viewer)
        w.put(video)
        w.put(session)
        w.put(creator)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        viewer = try r.get()
        video = try r.get()
        session = try r.get()
        creator = try r.get()
        occurredAt = try r.get()
    }
}

/// The viewer shared a video (`channel`: link, message, another app).
public struct VideoShared: DomainEvent {
    public static let type = "video.shared"
    public static let version: UInt16 = 1

    public var viewer: UInt64
    public var video: UInt64
    public var session: UInt64
    public var creator: UInt64
    public var channel: String
    public var occurredAt: Timestamp

    public init(viewer: UInt64, video: UInt64, session: UInt64, creator: UInt64, channel: String, occurredAt: Timestamp) {
        self.viewer = viewer
        self.video = video
        self.session = session
        self.creator = creator
        self.channel = channel
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(viewer)
        w.put(video)
        w.put(session)
        w.put(creator)
        w.put(channel)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        viewer = try r.get()
        video = try r.get()
        session = try r.get()
        creator = try r.get()
        channel = try r.get()
        occurredAt = try r.get()
    }
}

/// The viewer saved a video to their favourites.
public struct VideoSaved: DomainEvent {
    public static let type = "video.saved"
    public static let version: UInt16 = 1

    public var viewer: UInt64
    public var video: UInt64
    public var session: UInt64
    public var creator: UInt64
    public var occurredAt: Timestamp

    public init(viewer: UInt64, video: UInt64, session: UInt64, creator: UInt64, occurredAt: Timestamp) {
        self.viewer = viewer
        self.video = video
        self.session = session
        self.creator = creator
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(viewer)
        w.put(video)
        w.put(session)
        w.put(creator)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        viewer = try r.get()
        video = try r.get()
        session = try r.get()
        creator = try r.get()
        occurredAt = try r.get()
    }
}

/// The viewer commented on a video. The text is the viewer's personal data: sealed under their key (version 2).
public struct CommentPosted: DomainEvent {
    public static let type = "comment.posted"
    /// Version 2: the text fields travel sealed (`SealedFields`), empty in the payload.
    public static let version: UInt16 = 2

    public var viewer: UInt64
    public var video: UInt64
    public var session: UInt64
    public var comment: UInt64
    public var text: String
    public var occurredAt: Timestamp

    public init(viewer: UInt64, video: UInt64, session: UInt64, comment: UInt64, text: String, occurredAt: Timestamp) {
        self.viewer = viewer
        self.video = video
        self.session = session
        self.comment = comment
        self.text = text
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(viewer)
        w.put(video)
        w.put(session)
        w.put(comment)
        w.put(text)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        viewer = try r.get()
        video = try r.get()
        session = try r.get()
        comment = try r.get()
        text = try r.get()
        occurredAt = try r.get()
    }
}

/// The viewer deleted one of their own comments.
public struct CommentDeleted: DomainEvent {
    public static let type = "comment.deleted"
    public static let version: UInt16 = 1

    public var viewer: UInt64
    public var video: UInt64
    public var session: UInt64
    public var comment: UInt64
    public var occurredAt: Timestamp

    public init(viewer: UInt64, video: UInt64, session: UInt64, comment: UInt64, occurredAt: Timestamp) {
        self.viewer = viewer
        self.video = video
        self.session = session
        self.comment = comment
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(viewer)
        w.put(video)
        w.put(session)
        w.put(comment)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        viewer = try r.get()
        video = try r.get()
        session = try r.get()
        comment = try r.get()
        occurredAt = try r.get()
    }
}

/// The viewer marked a video "not interested": a strong negative signal for its creator, sound and hashtags.
public struct NotInterested: DomainEvent {
    public static let type = "video.notInterested"
    public static let version: UInt16 = 1

    public var viewer: UInt64
    public var video: UInt64
    public var session: UInt64
    public var creator: UInt64
    public var occurredAt: Timestamp

    public init(viewer: UInt64, video: UInt64, session: UInt64, creator: UInt64, occurredAt: Timestamp) {
        self.viewer = viewer
        self.video = video
        self.session = session
        self.creator = creator
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(viewer)
        w.put(video)
        w.put(session)
        w.put(creator)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        viewer = try r.get()
        video = try r.get()
        session = try r.get()
        creator = try r.get()
        occurredAt = try r.get()
    }
}
