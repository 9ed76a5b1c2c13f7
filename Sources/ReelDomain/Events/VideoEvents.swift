import ReelJournal

// Events of a video's stream (`StreamID.video(id)`): its lifecycle, upload → processing → published, rejected or
// removed. Engagement with the video is not here (it is on the viewers' sessions).

/// A creator began uploading a video.
public struct UploadStarted: DomainEvent {
    public static let type = "video.uploadStarted"
    public static let version: UInt16 = 1

    public var video: UInt64
    public var creator: UInt64
    public var byteSize: UInt64
    public var occurredAt: Timestamp

    public init(video: UInt64, creator: UInt64, byteSize: UInt64, occurredAt: Timestamp) {
        self.video = video
        self.creator = creator
        self.byteSize = byteSize
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(creator)
        w.put(byteSize)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        creator = try r.get()
        byteSize = try r.get()
        occurredAt = try r.get()
    }
}

/// The upload finished and its metadata is known. `source` is the original of a duet or stitch (0 for none).
public struct UploadCompleted: DomainEvent {
    public static let type = "video.uploadCompleted"
    public static let version: UInt16 = 1

    public var video: UInt64
    public var creator: UInt64
    public var caption: String
    public var hashtags: [String]
    public var sound: UInt64
    public var source: UInt64
    public var sourceKind: String
    public var blob: String
    public var occurredAt: Timestamp

    public init(video: UInt64, creator: UInt64, caption: String, hashtags: [String], sound: UInt64, source: UInt64, sourceKind: String, blob: String, occurredAt: Timestamp) {
        self.video = video
        self.creator = creator
        self.caption = caption
        self.hashtags = hashtags
        self.sound = sound
        self.source = source
        self.sourceKind = sourceKind
        self.blob = blob
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(creator)
        w.put(caption)
        w.put(hashtags)
        w.put(sound)
        w.put(source)
        w.put(sourceKind)
        w.put(blob)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        creator = try r.get()
        caption = try r.get()
        hashtags = try r.get()
        sound = try r.get()
        source = try r.get()
        sourceKind = try r.get()
        blob = try r.get()
        occurredAt = try r.get()
    }
}

/// Transcoding and analysis finished: duration, renditions (rung names such as "720p") and the sound the audio matched.
public struct ProcessingSucceeded: DomainEvent {
    public static let type = "video.processed"
    public static let version: UInt16 = 1

    public var video: UInt64
    public var durationMillis: UInt64
    public var renditions: [String]
    public var sound: UInt64
    public var occurredAt: Timestamp

    public init(video: UInt64, durationMillis: UInt64, renditions: [String], sound: UInt64, occurredAt: Timestamp) {
        self.video = video
        self.durationMillis = durationMillis
        self.renditions = renditions
        self.sound = sound
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(durationMillis)
        w.put(renditions)
        w.put(sound)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        durationMillis = try r.get()
        renditions = try r.get()
        sound = try r.get()
        occurredAt = try r.get()
    }
}

/// Processing failed; `reason` says why (a bad container, a timeout...).
public struct ProcessingFailed: DomainEvent {
    public static let type = "video.processingFailed"
    public static let version: UInt16 = 1

    public var video: UInt64
    public var reason: String
    public var occurredAt: Timestamp

    public init(video: UInt64, reason: String, occurredAt: Timestamp) {
        self.video = video
        self.reason = reason
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(reason)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        reason = try r.get()
        occurredAt = try r.get()
    }
}

/// The video became visible to viewers.
public struct VideoPublished: DomainEvent {
    public static let type = "video.published"
    public static let version: UInt16 = 1

    public var video: UInt64
    public var occurredAt: Timestamp

    public init(video: UInt64, occurredAt: Timestamp) {
        self.video = video
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        occurredAt = try r.get()
    }
}

/// Moderation or validation rejected the video, with the reason.
public struct VideoRejected: DomainEvent {
    public static let type = "video.rejected"
    public static let version: UInt16 = 1

    public var video: UInt64
    public var reason: String
    public var occurredAt: Timestamp

    public init(video: UInt64, reason: String, occurredAt: Timestamp) {
        self.video = video
        self.reason = reason
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(reason)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        reason = try r.get()
        occurredAt = try r.get()
    }
}

/// A published video was taken down (by its creator or by moderation), with the reason.
public struct VideoRemoved: DomainEvent {
    public static let type = "video.removed"
    public static let version: UInt16 = 1

    public var video: UInt64
    public var reason: String
    public var occurredAt: Timestamp

    public init(video: UInt64, reason: String, occurredAt: Timestamp) {
        self.video = video
        self.reason = reason
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(reason)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        reason = try r.get()
        occurredAt = try r.get()
    }
}
