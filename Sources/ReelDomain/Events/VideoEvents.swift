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
    /// Version 2: the text fields travel sealed (`SealedFields`), empty in the payload.
    public static let version: UInt16 = 2

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

/// What the media pipeline learned about a video's content: the facts the processed event records so that
/// near-duplicate and sound matching can be rebuilt from the journal alone. Empty (`width` 0) for videos
/// processed elsewhere (imports) and for version 1 events.
public struct MediaAnalysis: Sendable, Hashable {
    public var width: UInt32 = 0
    public var height: UInt32 = 0
    public var hasAudio = false
    /// One 64-bit dHash per second of video.
    public var frameHashes: [UInt64] = []
    /// Chromaprint raw words of the first two minutes of audio at most.
    public var audioFingerprint: [UInt32] = []
    public var sceneCutsMillis: [UInt64] = []
    /// The earlier video this one nearly duplicates (0 for none).
    public var duplicateOf: UInt64 = 0
    public var isEmpty: Bool { width == 0 }
    /// At most this many fingerprint words are recorded (about two minutes).
    public static let maxFingerprintWords = 968

    public init() {}
    public init(
        width: UInt32, height: UInt32, hasAudio: Bool, frameHashes: [UInt64], audioFingerprint: [UInt32], sceneCutsMillis: [UInt64], duplicateOf: UInt64
    ) {
        self.width = width
        self.height = height
        self.hasAudio = hasAudio
        self.frameHashes = frameHashes
        self.audioFingerprint = Array(audioFingerprint.prefix(Self.maxFingerprintWords))
        self.sceneCutsMillis = sceneCutsMillis
        self.duplicateOf = duplicateOf
    }
}

/// Transcoding and analysis finished: duration, renditions (rung names such as "720p"), the sound and what
/// the analysis found. With an analysis, `sound` is authoritative (the sound the audio matched, the video's
/// own new sound, or 0 for a silent video); without one, 0 keeps the sound the upload named.
///
/// Version 2 added the analysis; version 1 payloads are upcast with an empty one (``upcasterFromVersion1``).
public struct ProcessingSucceeded: DomainEvent {
    public static let type = "video.processed"
    public static let version: UInt16 = 2

    public var video: UInt64
    public var durationMillis: UInt64
    public var renditions: [String]
    public var sound: UInt64
    public var occurredAt: Timestamp
    public var width: UInt32
    public var height: UInt32
    public var hasAudio: Bool
    public var frameHashes: [UInt64]
    public var audioFingerprint: [UInt32]
    public var sceneCutsMillis: [UInt64]
    public var duplicateOf: UInt64

    public init(
        video: UInt64, durationMillis: UInt64, renditions: [String], sound: UInt64, occurredAt: Timestamp, analysis: MediaAnalysis = MediaAnalysis()
    ) {
        self.video = video
        self.durationMillis = durationMillis
        self.renditions = renditions
        self.sound = sound
        self.occurredAt = occurredAt
        width = analysis.width
        height = analysis.height
        hasAudio = analysis.hasAudio
        frameHashes = analysis.frameHashes
        audioFingerprint = analysis.audioFingerprint
        sceneCutsMillis = analysis.sceneCutsMillis
        duplicateOf = analysis.duplicateOf
    }

    public var analysis: MediaAnalysis {
        MediaAnalysis(
            width: width, height: height, hasAudio: hasAudio, frameHashes: frameHashes, audioFingerprint: audioFingerprint,
            sceneCutsMillis: sceneCutsMillis, duplicateOf: duplicateOf)
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(durationMillis)
        w.put(renditions)
        w.put(sound)
        w.put(occurredAt)
        Self.encodeAnalysis(analysis, into: &w)
    }

    static func encodeAnalysis(_ a: MediaAnalysis, into w: inout ByteWriter) {
        w.put(a.width)
        w.put(a.height)
        w.put(a.hasAudio)
        w.put(a.frameHashes)
        w.put(a.audioFingerprint)
        w.put(a.sceneCutsMillis)
        w.put(a.duplicateOf)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        durationMillis = try r.get()
        renditions = try r.get()
        sound = try r.get()
        occurredAt = try r.get()
        width = try r.get()
        height = try r.get()
        hasAudio = try r.get()
        frameHashes = try r.get()
        audioFingerprint = try r.get()
        sceneCutsMillis = try r.get()
        duplicateOf = try r.get()
    }

    /// Version 1 had no analysis: its payload is the version 2 prefix, so the step appends an empty one.
    public static let upcasterFromVersion1 = Upcaster(type: type, fromVersion: 1) { payload in
        var w = ByteWriter()
        encodeAnalysis(MediaAnalysis(), into: &w)
        return payload + w.bytes
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
