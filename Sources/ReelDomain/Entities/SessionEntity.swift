import ReelJournal
import ReelRuntime

/// One viewing session: the viewer's engagement is decided here, so a viral video or creator is never a write
/// bottleneck. It also keeps the session's short-term interest, which the next feed reads synchronously.
///
/// Everything in the state is bounded: recent lists drop their oldest entries.
public enum SessionEntity: EventSourcedEntity {
    public typealias Event = ReelEvent
    public typealias Context = any DomainLookup

    public static let kind = StreamKind.session
    public static let stateVersion: UInt16 = 1
    public static let servedLimit = 200
    public static let watchedLimit = 100
    public static let engagementLimit = 50
    public static let commentLimit = 100
    public static let maxCommentLength = 500
    public static let maxChannelLength = 32
    /// Region, language, device and network of a session (and a user's region): short labels.
    public static let maxContextLength = 64

    /// One engagement, for short-term interest. `creator` is 0 where the event does not record it (watch, skip,
    /// comment): the feed resolves it from the catalogue.
    public struct Engagement: MirroredFields, Hashable {
        public var video: UInt64
        public var creator: UInt64
        /// Positive for interest, negative for disinterest (see `Signal`).
        public var signal: Float

        public init(video: UInt64, creator: UInt64, signal: Float) {
            self.video = video
            self.creator = creator
            self.signal = signal
        }
        public static func read(from r: inout ByteReader) throws(JournalError) -> Engagement {
            Engagement(video: try r.get(), creator: try r.get(), signal: try r.get())
        }
        public func write(to w: inout ByteWriter) {
            w.put(video)
            w.put(creator)
            w.put(signal)
        }
    }

    /// A comment posted in this session, so that it can be deleted from here.
    public struct PostedComment: MirroredFields, Hashable {
        public var comment: UInt64
        public var video: UInt64

        public init(comment: UInt64, video: UInt64) {
            self.comment = comment
            self.video = video
        }
        public static func read(from r: inout ByteReader) throws(JournalError) -> PostedComment {
            PostedComment(comment: try r.get(), video: try r.get())
        }
        public func write(to w: inout ByteWriter) {
            w.put(comment)
            w.put(video)
        }
    }

    /// The weight of each kind of engagement. Watch signals are the fraction of the video seen (0...1) plus
    /// bonuses; a quick skip is under 2 s *and* under 20% of the video (so a short clip is not punished for
    /// being short).
    public enum Signal {
        public static let completed: Float = 1
        public static let perLoop: Float = 0.5
        /// Loops beyond this add nothing (the count comes from the client).
        public static let loopsCounted: UInt64 = 4
        public static let like: Float = 1
        public static let unlike: Float = -1
        public static let share: Float = 1.5
        public static let save: Float = 1
        public static let comment: Float = 0.5
        public static let quickSkip: Float = -1
        public static let notInterested: Float = -3
        public static let quickSkipMillis: UInt64 = 2_000

        public static func fraction(_ millis: UInt64, of duration: UInt64) -> Float {
            duration == 0 ? 0 : Float(min(millis, duration)) / Float(duration)
        }

        public static func watch(_ e: VideoWatched) -> Float {
            fraction(e.watchMillis, of: e.durationMillis) + (e.completed ? completed : 0)
                + perLoop * Float(min(e.loops, loopsCounted))
        }

        public static func skip(_ e: VideoSkipped) -> Float {
            let quick = e.watchedMillis < quickSkipMillis && Double(e.watchedMillis) < 0.2 * Double(e.durationMillis)
            return quick ? quickSkip : fraction(e.watchedMillis, of: e.durationMillis)
        }
    }

    public struct State: Sendable, Hashable {
        /// The session id (the stream's id), which every event carries.
        public var id: UInt64
        public var started = false
        public var viewer: UInt64 = 0
        public var region = ""
        public var language = ""
        public var device = ""
        public var network = ""
        public var ended = false
        /// Videos served, oldest first (the last `servedLimit`).
        public var recentlyServed: [UInt64] = []
        /// Videos watched, oldest first (the last `watchedLimit`).
        public var recentlyWatched: [UInt64] = []
        /// Short-term interest, oldest first (the last `engagementLimit`).
        public var engagements: [Engagement] = []
        /// Comments posted in this session, oldest first (the last `commentLimit`).
        public var comments: [PostedComment] = []

        public init(id: UInt64) { self.id = id }
    }

    public enum Command: Sendable, Hashable {
        case start(viewer: UInt64, region: String, language: String, device: String, network: String, at: Timestamp)
        case end(at: Timestamp)
        /// A feed page the recommender served (`FeedServed` without session and viewer, which the state knows).
        case recordFeed(feed: UInt32, viewsPosition: UInt64, seed: UInt64, modelVersion: UInt64, build: String, items: [FeedItem], at: Timestamp)
        case watch(video: UInt64, watchMillis: UInt64, loops: UInt64, completed: Bool, at: Timestamp)
        case skip(video: UInt64, watchedMillis: UInt64, at: Timestamp)
        case like(video: UInt64, at: Timestamp)
        case unlike(video: UInt64, at: Timestamp)
        case share(video: UInt64, channel: String, at: Timestamp)
        case save(video: UInt64, at: Timestamp)
        case comment(video: UInt64, commentID: UInt64, text: String, at: Timestamp)
        /// Only comments posted in this session (its last `commentLimit`) can be deleted here: the session is the
        /// only state that knows who wrote a comment without reading a view. Older ones need another path.
        case deleteComment(video: UInt64, commentID: UInt64, at: Timestamp)
        case notInterested(video: UInt64, at: Timestamp)
    }

    public static func initialState(id: UInt64) -> State { State(id: id) }

    public static func decide(_ command: Command, state s: State, context: Context) throws(CommandRejected) -> [ReelEvent] {
        if case .start = command {} else {
            guard s.started else { throw CommandRejected("sessionNotStarted", "session \(s.id) has not started") }
            guard !s.ended else { throw CommandRejected("sessionEnded", "session \(s.id) has ended") }
        }
        let (session, viewer) = (s.id, s.viewer)
        switch command {
        case let .start(who, region, language, device, network, at):
            guard !s.started else { throw CommandRejected("alreadyStarted", "session \(s.id) has already started") }
            for (name, value) in [("region", region), ("language", language), ("device", device), ("network", network)] {
                guard value.hasLength(0...maxContextLength) else {
                    throw CommandRejected("invalidContext", "the session's \(name) has at most \(maxContextLength) characters")
                }
            }
            guard context.userExists(who) else {
                throw CommandRejected("unknownUser", "no user \(who) according to the catalogue view")
            }
            return [.sessionStarted(SessionStarted(session: session, viewer: who, region: region, language: language,
                                                   device: device, network: network, occurredAt: at))]
        case .end(let at):
            return [.sessionEnded(SessionEnded(session: session, viewer: viewer, occurredAt: at))]
        case let .recordFeed(feed, viewsPosition, seed, modelVersion, build, items, at):
            return [.feedServed(FeedServed(session: session, viewer: viewer, feed: feed, viewsPosition: viewsPosition, seed: seed,
                                           modelVersion: modelVersion, build: build, items: items, occurredAt: at))]
        case let .watch(video, watchMillis, loops, completed, at):
            let v = try published(video, context)
            let (plays, o1) = loops.addingReportingOverflow(1)
            let (limit, o2) = v.durationMillis.multipliedReportingOverflow(by: plays)
            guard !o1 && !o2 else { throw CommandRejected("watchTimeOutOfRange", "\(loops) loops of video \(video) is out of range") }
            guard watchMillis <= limit else {
                throw CommandRejected("watchTimeOutOfRange", "\(watchMillis) ms watched is more than \(plays) plays of video \(video) (\(v.durationMillis) ms each)")
            }
            return [.watched(VideoWatched(viewer: viewer, video: video, session: session, watchMillis: watchMillis,
                                          durationMillis: v.durationMillis, loops: loops, completed: completed, occurredAt: at))]
        case let .skip(video, watchedMillis, at):
            let v = try published(video, context)
            guard watchedMillis <= v.durationMillis else {
                throw CommandRejected("watchTimeOutOfRange", "\(watchedMillis) ms watched is longer than video \(video) (\(v.durationMillis) ms)")
            }
            return [.skipped(VideoSkipped(viewer: viewer, video: video, session: session, watchedMillis: watchedMillis,
                                          durationMillis: v.durationMillis, occurredAt: at))]
        case let .like(video, at):
            let v = try published(video, context)
            return [.liked(VideoLiked(viewer: viewer, video: video, session: session, creator: v.creator, occurredAt: at))]
        case let .unlike(video, at):
            // Taking a like back stays possible after the video is removed, so counts can still come down.
            guard let v = context.video(video) else { throw unknownVideo(video) }
            return [.unliked(VideoUnliked(viewer: viewer, video: video, session: session, creator: v.creator, occurredAt: at))]
        case let .share(video, channel, at):
            guard channel.hasLength(1...maxChannelLength) else {
                throw CommandRejected("invalidChannel", "a share channel has 1–\(maxChannelLength) characters, like \"link\" or \"whatsapp\"")
            }
            let v = try published(video, context)
            return [.shared(VideoShared(viewer: viewer, video: video, session: session, creator: v.creator, channel: channel, occurredAt: at))]
        case let .save(video, at):
            let v = try published(video, context)
            return [.saved(VideoSaved(viewer: viewer, video: video, session: session, creator: v.creator, occurredAt: at))]
        case let .comment(video, commentID, text, at):
            _ = try published(video, context)
            guard !text.allSatisfy(\.isWhitespace), text.hasLength(1...maxCommentLength) else {
                throw CommandRejected(
                    "invalidComment",
                    "a comment must have 1–\(maxCommentLength) characters (at most \(maxCommentLength * String.maxBytesPerCharacter) bytes) and not be blank")
            }
            return [.commented(CommentPosted(viewer: viewer, video: video, session: session, comment: commentID, text: text, occurredAt: at))]
        case let .deleteComment(video, commentID, at):
            // No catalogue check: one's own comment can be deleted even from a removed video.
            guard s.comments.contains(PostedComment(comment: commentID, video: video)) else {
                throw CommandRejected("notYourComment", "session \(session) did not post comment \(commentID) on video \(video) (a session knows only its own last \(commentLimit) comments)")
            }
            return [.commentDeleted(CommentDeleted(viewer: viewer, video: video, session: session, comment: commentID, occurredAt: at))]
        case let .notInterested(video, at):
            let v = try published(video, context)
            return [.notInterested(NotInterested(viewer: viewer, video: video, session: session, creator: v.creator, occurredAt: at))]
        }
    }

    static func unknownVideo(_ id: UInt64) -> CommandRejected {
        CommandRejected("unknownVideo", "no video \(id) according to the catalogue view")
    }

    /// The video's facts, if the catalogue view says it is published.
    static func published(_ id: UInt64, _ context: Context) throws(CommandRejected) -> VideoInfo {
        guard let v = context.video(id) else { throw unknownVideo(id) }
        guard v.status == .published else {
            throw CommandRejected("videoNotPublished", "video \(id) is \(v.status), not published, according to the catalogue view")
        }
        return v
    }

    public static func evolve(_ s: inout State, with event: ReelEvent) {
        func engage(_ video: UInt64, _ creator: UInt64, _ signal: Float) {
            s.engagements.appendBounded(Engagement(video: video, creator: creator, signal: signal), limit: engagementLimit)
        }
        switch event {
        case .sessionStarted(let e):
            s.started = true
            s.viewer = e.viewer
            s.region = e.region
            s.language = e.language
            s.device = e.device
            s.network = e.network
        case .sessionEnded: s.ended = true
        case .feedServed(let e): s.recentlyServed.appendBounded(contentsOf: e.items.lazy.map(\.video), limit: servedLimit)
        case .watched(let e):
            s.recentlyWatched.appendBounded(e.video, limit: watchedLimit)
            engage(e.video, 0, Signal.watch(e))
        case .skipped(let e): engage(e.video, 0, Signal.skip(e))
        case .liked(let e): engage(e.video, e.creator, Signal.like)
        case .unliked(let e): engage(e.video, e.creator, Signal.unlike)
        case .shared(let e): engage(e.video, e.creator, Signal.share)
        case .saved(let e): engage(e.video, e.creator, Signal.save)
        case .commented(let e):
            s.comments.appendBounded(PostedComment(comment: e.comment, video: e.video), limit: commentLimit)
            engage(e.video, 0, Signal.comment)
        case .commentDeleted(let e): s.comments.removeAll { $0 == PostedComment(comment: e.comment, video: e.video) }
        case .notInterested(let e): engage(e.video, e.creator, Signal.notInterested)
        default: break
        }
    }

    public static func encode(_ s: State, into w: inout ByteWriter) {
        w.put(s.id)
        w.put(s.started)
        w.put(s.viewer)
        w.put(s.region)
        w.put(s.language)
        w.put(s.device)
        w.put(s.network)
        w.put(s.ended)
        w.put(s.recentlyServed)
        w.put(s.recentlyWatched)
        w.put(s.engagements)
        w.put(s.comments)
    }

    public static func decode(_ r: inout ByteReader) throws(JournalError) -> State {
        var s = State(id: try r.get())
        s.started = try r.get()
        s.viewer = try r.get()
        s.region = try r.get()
        s.language = try r.get()
        s.device = try r.get()
        s.network = try r.get()
        s.ended = try r.get()
        s.recentlyServed = try r.get()
        s.recentlyWatched = try r.get()
        s.engagements = try r.get()
        s.comments = try r.get()
        return s
    }

    public static func residentBytes(_ s: State) -> Int {
        MemoryLayout<State>.size + s.region.utf8.count + s.language.utf8.count + s.device.utf8.count + s.network.utf8.count
            + s.recentlyServed.bufferBytes + s.recentlyWatched.bufferBytes + s.engagements.bufferBytes + s.comments.bufferBytes
    }

    /// What the command alone tells: the viewer, when it starts the session. The session id (the correlation)
    /// and the viewer of later commands are in the state: see `metadata(for:state:)`.
    public static func metadata(for command: Command) -> EventMetadata {
        if case let .start(viewer, _, _, _, _, _) = command { return EventMetadata(actorID: viewer) }
        return EventMetadata()
    }

    /// The full metadata: the viewer acts, and the session id correlates everything in it.
    public static func metadata(for command: Command, state: State) -> EventMetadata {
        var m = metadata(for: command)
        m.correlationID = state.id
        if m.actorID == nil { m.actorID = state.viewer }
        return m
    }
}
