import ReelJournal
import ReelRuntime

/// Where a video is in its lifecycle:
/// `none → uploading → processing → ready → published → removed`, with `processing → failed` and
/// `processing | ready → rejected` on the side. `ready` means processed (duration and renditions known) but not
/// yet visible. The raw values are part of the snapshot format: never reuse one.
public enum VideoStatus: UInt8, Sendable, Hashable, ByteCoded {
    public static let payloadName = "video status"

    case none = 0
    case uploading = 1
    case processing = 2
    case ready = 3
    case published = 4
    case rejected = 5
    case removed = 6
    case failed = 7
}

/// A video's lifecycle and metadata. Engagement with it is decided by viewers' sessions and counted by views,
/// so a viral video never serializes writes here.
public enum VideoEntity: EventSourcedEntity {
    public typealias Event = ReelEvent
    public typealias Context = any DomainLookup

    public static let kind = StreamKind.video
    public static let stateVersion: UInt16 = 1
    public static let maxCaptionLength = 2_200
    public static let maxHashtags = 30
    public static let maxHashtagLength = 100
    public static let maxDurationMillis: UInt64 = 10 * 60 * 1000
    /// The kinds of a video made from another one (`sourceKind`, with `source` the original's id).
    public static let sourceKinds = ["duet", "stitch"]

    public struct State: Sendable, Hashable {
        public var id: UInt64
        public var status = VideoStatus.none
        public var creator: UInt64 = 0
        public var caption = ""
        /// Lowercased, without '#', in the order the creator wrote them.
        public var hashtags: [String] = []
        public var sound: UInt64 = 0
        /// The original of a duet or stitch, 0 for none.
        public var source: UInt64 = 0
        public var sourceKind = ""
        public var durationMillis: UInt64 = 0
        public var renditions: [String] = []
        /// Why it failed, was rejected or removed.
        public var reason = ""

        public init(id: UInt64) { self.id = id }
    }

    public enum Command: Sendable, Hashable {
        case startUpload(creator: UInt64, byteSize: UInt64, at: Timestamp)
        /// `source` 0 and `sourceKind` "" for an original; otherwise a published video and "duet" or "stitch".
        case completeUpload(caption: String, hashtags: [String], sound: UInt64, source: UInt64, sourceKind: String, blob: String, at: Timestamp)
        /// Without an analysis, `sound` 0 keeps the sound the upload named; with one, `sound` is what the audio
        /// showed (a matched sound, the video's own new sound, or 0 for silence).
        case processingSucceeded(durationMillis: UInt64, renditions: [String], sound: UInt64, analysis: MediaAnalysis = MediaAnalysis(), at: Timestamp)
        case processingFailed(reason: String, at: Timestamp)
        case publish(at: Timestamp)
        case reject(reason: String, at: Timestamp)
        case remove(reason: String, at: Timestamp)
        /// Publishes a removed video again: only the moderation flow sends it, after its case said the removal
        /// was a takedown that a moderator undid (`ReelEngine.moderate`).
        case restore(at: Timestamp)
    }

    public static func initialState(id: UInt64) -> State { State(id: id) }

    public static func decide(_ command: Command, state s: State, context: Context) throws(CommandRejected) -> [ReelEvent] {
        let id = s.id
        switch command {
        case let .startUpload(creator, byteSize, at):
            try transition(s, from: [.none], to: .uploading)
            guard context.userExists(creator) else {
                throw CommandRejected("unknownCreator", "no creator \(creator) according to the catalogue view")
            }
            return [.uploadStarted(UploadStarted(video: id, creator: creator, byteSize: byteSize, occurredAt: at))]
        case let .completeUpload(caption, hashtags, sound, source, sourceKind, blob, at):
            try transition(s, from: [.uploading], to: .processing)
            try checkMetadata(caption: caption, hashtags: hashtags, sourceKind: sourceKind, hasSource: source != 0, blob: blob)
            if source != 0 {
                guard let v = context.video(source), v.status == .published else {
                    throw CommandRejected("invalidSource", "the \(sourceKind) source \(source) is not a published video according to the catalogue view")
                }
            }
            return [.uploadCompleted(UploadCompleted(video: id, creator: s.creator, caption: caption, hashtags: hashtags, sound: sound,
                                                     source: source, sourceKind: sourceKind, blob: blob, occurredAt: at))]
        case let .processingSucceeded(durationMillis, renditions, sound, analysis, at):
            try transition(s, from: [.processing], to: .ready)
            guard durationMillis > 0 else { throw CommandRejected("invalidMetadata", "video \(id) has no duration") }
            guard durationMillis <= maxDurationMillis else {
                throw CommandRejected("tooLong", "video \(id) lasts \(durationMillis) ms; at most \(maxDurationMillis) ms is allowed")
            }
            return [.processingSucceeded(ProcessingSucceeded(video: id, durationMillis: durationMillis, renditions: renditions, sound: sound, occurredAt: at, analysis: analysis))]
        case let .processingFailed(reason, at):
            try transition(s, from: [.processing], to: .failed)
            return [.processingFailed(ProcessingFailed(video: id, reason: reason, occurredAt: at))]
        case .publish(let at):
            try transition(s, from: [.ready], to: .published)
            return [.published(VideoPublished(video: id, occurredAt: at))]
        case let .reject(reason, at):
            try transition(s, from: [.processing, .ready], to: .rejected)
            return [.rejected(VideoRejected(video: id, reason: reason, occurredAt: at))]
        case let .remove(reason, at):
            // Any video not yet taken down: moderation, or an erased creator's uploads in every stage.
            try transition(s, from: [.uploading, .processing, .ready, .published], to: .removed)
            return [.removed(VideoRemoved(video: id, reason: reason, occurredAt: at))]
        case .restore(let at):
            if s.status == .published { return [] }
            try transition(s, from: [.removed], to: .published)
            guard context.userExists(s.creator) else {
                throw CommandRejected("unknownCreator", "video \(id)'s creator \(s.creator) was erased; their videos cannot come back")
            }
            return [.restored(VideoRestored(video: id, occurredAt: at))]
        }
    }

    static func transition(_ s: State, from allowed: [VideoStatus], to target: VideoStatus) throws(CommandRejected) {
        guard allowed.contains(s.status) else {
            let from = allowed.map { "\($0)" }.joined(separator: " or ")
            throw CommandRejected("invalidTransition", "video \(s.id) cannot go from \(s.status) to \(target) (only from \(from))")
        }
    }

    static func checkMetadata(caption: String, hashtags: [String], sourceKind: String, hasSource: Bool, blob: String) throws(CommandRejected) {
        func invalid(_ why: String) -> CommandRejected { CommandRejected("invalidMetadata", why) }
        guard caption.hasLength(0...maxCaptionLength) else {
            throw invalid("the caption has \(caption.count) characters (\(caption.utf8.count) bytes); at most \(maxCaptionLength) (\(maxCaptionLength * String.maxBytesPerCharacter) bytes)")
        }
        guard hashtags.count <= maxHashtags else { throw invalid("\(hashtags.count) hashtags; at most \(maxHashtags)") }
        for tag in hashtags {
            guard tag.hasLength(1...maxHashtagLength), tag == tag.lowercased(), !tag.contains(where: { $0 == "#" || $0.isWhitespace }) else {
                throw invalid("hashtag \"\(tag)\" must be 1–\(maxHashtagLength) lowercase characters without '#' or spaces")
            }
        }
        if hasSource {
            guard sourceKinds.contains(sourceKind) else { throw invalid("a video with a source must be a duet or a stitch, not \"\(sourceKind)\"") }
        } else {
            guard sourceKind.isEmpty else { throw invalid("a \(sourceKind) needs a source video") }
        }
        guard !blob.isEmpty else { throw invalid("the upload names no blob") }
    }

    public static func evolve(_ s: inout State, with event: ReelEvent) {
        switch event {
        case .uploadStarted(let e):
            s.status = .uploading
            s.creator = e.creator
        case .uploadCompleted(let e):
            s.status = .processing
            s.caption = e.caption
            s.hashtags = e.hashtags
            s.sound = e.sound
            s.source = e.source
            s.sourceKind = e.sourceKind
        case .processingSucceeded(let e):
            s.status = .ready
            s.durationMillis = e.durationMillis
            s.renditions = e.renditions
            if e.sound != 0 || e.width != 0 { s.sound = e.sound }
        case .processingFailed(let e):
            s.status = .failed
            s.reason = e.reason
        case .published: s.status = .published
        case .restored:
            s.status = .published
            s.reason = ""
        case .rejected(let e):
            s.status = .rejected
            s.reason = e.reason
        case .removed(let e):
            s.status = .removed
            s.reason = e.reason
            // The caption is its creator's personal data; a removed video (an erased creator's, too) keeps none.
            s.caption = ""
        default: break
        }
    }

    /// The facts other entities check, as a catalogue view would report them (nil before any upload).
    public static func info(_ s: State) -> VideoInfo? {
        s.status == .none ? nil
            : VideoInfo(status: s.status, creator: s.creator, durationMillis: s.durationMillis, sound: s.sound, hashtags: s.hashtags)
    }

    public static func encode(_ s: State, into w: inout ByteWriter) {
        w.put(s.id)
        w.put(s.status)
        w.put(s.creator)
        w.put(s.caption)
        w.put(s.hashtags)
        w.put(s.sound)
        w.put(s.source)
        w.put(s.sourceKind)
        w.put(s.durationMillis)
        w.put(s.renditions)
        w.put(s.reason)
    }

    public static func decode(_ r: inout ByteReader) throws(JournalError) -> State {
        var s = State(id: try r.get())
        s.status = try r.get()
        s.creator = try r.get()
        s.caption = try r.get()
        s.hashtags = try r.get()
        s.sound = try r.get()
        s.source = try r.get()
        s.sourceKind = try r.get()
        s.durationMillis = try r.get()
        s.renditions = try r.get()
        s.reason = try r.get()
        return s
    }

    public static func residentBytes(_ s: State) -> Int {
        MemoryLayout<State>.size + s.caption.utf8.count + s.hashtags.residentBytes + s.sourceKind.utf8.count
            + s.renditions.residentBytes + s.reason.utf8.count
    }

    /// What the command alone tells: the creator, when they start an upload. Processing, publishing and
    /// moderation steps are the system's, with no acting user.
    public static func metadata(for command: Command) -> EventMetadata {
        if case let .startUpload(creator, _, _) = command { return EventMetadata(actorID: creator) }
        return EventMetadata()
    }

    /// The full metadata: completing an upload is the creator's act too.
    public static func metadata(for command: Command, state: State) -> EventMetadata {
        if case .completeUpload = command { return EventMetadata(actorID: state.creator) }
        return metadata(for: command)
    }
}
