import ReelDomain
import ReelJournal

/// The event mix of a running platform, for the views benchmark and tests (`Docs/Workloads.md`): accounts,
/// creators and their published videos first, then viewing sessions. Each session starts with its context,
/// gets a feed page served every 10 impressions, and each impression is a watch (70 %) or a skip (30 %);
/// a watch is liked 8 % of the time, shared 1 %, saved 1 %, commented 0.5 %, and the creator is followed 0.5 %.
/// Videos are chosen Zipf(1.0); sessions have 5–40 impressions. Everything is a pure function of the seed.
public struct DomainWorkload: Sendable {
    public var seed: UInt64
    public var users: Int
    public var creators: Int
    public var videos: Int
    public var start: Timestamp
    private let videoSampler: ZipfSampler
    static let regions = ["US", "BR", "IN", "ID", "GB", "DE", "JP", "MX"]
    static let tags = (0..<111).map { "tag\($0)" }

    public init(seed: UInt64 = 42, users: Int = 20_000, creators: Int = 2_000, videos: Int = 20_000,
                start: Timestamp = Timestamp(seconds: 1_767_225_600)) {
        self.seed = seed
        self.users = users
        self.creators = creators
        self.videos = videos
        self.start = start
        videoSampler = ZipfSampler(count: videos, exponent: 1.0)
    }

    public func creator(ofVideo v: UInt64) -> UInt64 { 1 + SplitMix64.mix(seed ^ 0xC0, v) % UInt64(creators) }
    public func duration(ofVideo v: UInt64) -> UInt64 { 5_000 + SplitMix64.mix(seed ^ 0xD0, v) % 55_001 }

    /// The catalogue: users (the first `creators` of them also create), creator profiles, published videos.
    public func catalogue() -> [(StreamID, ReelEvent)] {
        var out: [(StreamID, ReelEvent)] = []
        let t = start
        for u in 1...UInt64(users) {
            let region = Self.regions[Int(SplitMix64.mix(seed, u) % UInt64(Self.regions.count))]
            out.append((.user(u), .userRegistered(UserRegistered(user: u, handle: "user\(u)", region: region, occurredAt: t), nil)))
        }
        for c in 1...UInt64(creators) {
            out.append((.creator(c), .creatorProfileUpdated(CreatorProfileUpdated(creator: c, name: "Creator \(c)", bio: "makes videos", occurredAt: t))))
        }
        for v in 1...UInt64(videos) { out += video(v, at: t) }
        return out
    }

    /// One video's upload, processing and publication at `t` (hashtags, sound and creator from its id).
    public func video(_ v: UInt64, at t: Timestamp) -> [(StreamID, ReelEvent)] {
        var out: [(StreamID, ReelEvent)] = []
        let c = creator(ofVideo: v)
        let h = SplitMix64.mix(seed ^ 0x7A, v)
        let tags = [Self.tags[Int(h % 111)], Self.tags[Int((h >> 8) % 111)]]
        let sound = 1 + (h >> 16) % UInt64(max(1, videos / 4))
        out.append((.video(v), .uploadStarted(UploadStarted(video: v, creator: c, byteSize: 1 << 20, occurredAt: t))))
        out.append((.video(v), .uploadCompleted(UploadCompleted(
            video: v, creator: c, caption: "clip \(v) about \(tags[0])", hashtags: tags, sound: sound, source: 0, sourceKind: "",
            blob: "", occurredAt: t))))
        out.append((.video(v), .processingSucceeded(ProcessingSucceeded(video: v, durationMillis: duration(ofVideo: v), renditions: ["360p", "720p"], sound: sound, occurredAt: t))))
        out.append((.video(v), .published(VideoPublished(video: v, occurredAt: t))))
        return out
    }

    /// The events of session `s` (ids from 1), each 3 s after the one before, sessions 10 s apart.
    public func session(_ s: UInt64) -> [(StreamID, ReelEvent)] {
        var g = SplitMix64(seed: SplitMix64.mix(seed ^ 0x5E55, s))
        let viewer = 1 + g.next() % UInt64(users)
        let region = Self.regions[Int(SplitMix64.mix(seed, viewer) % UInt64(Self.regions.count))]
        var t = start.adding(microseconds: Int64(s) * 10_000_000)
        func next() -> Timestamp {
            t = t.adding(microseconds: 3_000_000)
            return t
        }
        let stream = StreamID.session(s)
        var out: [(StreamID, ReelEvent)] = [
            (stream, .sessionStarted(SessionStarted(session: s, viewer: viewer, region: region, language: "en", device: "phone", network: "wifi", occurredAt: t)))
        ]
        let impressions = 5 + Int(g.next() % 36)
        var page: [UInt64] = []
        for i in 0..<impressions {
            if i % 10 == 0 {
                page = (0..<10).map { _ in UInt64(videoSampler.sample(using: &g) + 1) }
                let items = page.enumerated().map { i, v in
                    FeedItem(video: v, source: "trending", score: Float(10 - i), features: [NamedValue("pCompletion", Float(10 - i) / 10), NamedValue("trendingScore", Float(i))])
                }
                out.append((stream, .feedServed(FeedServed(session: s, viewer: viewer, feed: 0, viewsPosition: 0, seed: s, modelVersion: 0, build: "workload", items: items, occurredAt: next()))))
            }
            let video = page[i % 10]
            let duration = duration(ofVideo: video)
            let creator = creator(ofVideo: video)
            if g.nextUnit() < 0.3 {
                out.append((stream, .skipped(VideoSkipped(viewer: viewer, video: video, session: s, watchedMillis: UInt64(g.nextUnit() * 0.2 * Double(duration)), durationMillis: duration, occurredAt: next()))))
                continue
            }
            let fraction = 0.2 + g.nextUnit() * 0.9
            let completed = fraction >= 1
            out.append((stream, .watched(VideoWatched(viewer: viewer, video: video, session: s, watchMillis: UInt64(min(1, fraction) * Double(duration)), durationMillis: duration, loops: 0, completed: completed, occurredAt: next()))))
            let u = g.nextUnit()
            if u < 0.08 { out.append((stream, .liked(VideoLiked(viewer: viewer, video: video, session: s, creator: creator, occurredAt: next())))) }
            else if u < 0.09 { out.append((stream, .shared(VideoShared(viewer: viewer, video: video, session: s, creator: creator, channel: "link", occurredAt: next())))) }
            else if u < 0.10 { out.append((stream, .saved(VideoSaved(viewer: viewer, video: video, session: s, creator: creator, occurredAt: next())))) }
            else if u < 0.105 { out.append((stream, .commented(CommentPosted(viewer: viewer, video: video, session: s, comment: s << 8 | UInt64(i), text: "nice \(video)", occurredAt: next())))) }
            else if u < 0.11, creator != viewer { out.append((.user(viewer), .followed(CreatorFollowed(user: viewer, creator: creator, session: s, occurredAt: next())))) }
        }
        out.append((stream, .sessionEnded(SessionEnded(session: s, viewer: viewer, occurredAt: next()))))
        return out
    }

    /// Appends the catalogue and then sessions until at least `events` session events are written, in batches.
    /// Returns the number of session events written.
    @discardableResult
    public func write(to journal: Journal, sessionEvents events: Int, batch: Int = 512) async throws -> Int {
        try await writeHistory(to: journal, sessionEvents: events, batch: batch).events
    }

    /// The platform as it is at the end of the history `write` left (its last session `after`): `freshVideos`
    /// new uploads published just now (ids after the catalogue), then `liveSessions` sessions still open (the
    /// next session numbers, without their end), the shape feed requests meet in production.
    public func live(after session: UInt64, freshVideos: Int, liveSessions: Int) -> [(StreamID, ReelEvent)] {
        let t = start.adding(microseconds: Int64(session + 1) * 10_000_000)
        var out: [(StreamID, ReelEvent)] = []
        for v in UInt64(videos) + 1..<UInt64(videos + freshVideos + 1) { out += video(v, at: t) }
        for s in session + 1..<session + 1 + UInt64(liveSessions) {
            out += self.session(s).filter { if case .sessionEnded = $0.1 { return false } else { return true } }
        }
        return out
    }

    /// Appends `events` as the generator's events (one write per event, in batches).
    public func append(_ events: [(StreamID, ReelEvent)], to journal: Journal, batch: Int = 512) async throws {
        var pending: [StreamWrite] = []
        for (stream, e) in events {
            pending.append(StreamWrite(stream: stream, events: [e.newEvent(metadata: EventMetadata())]))
            if pending.count >= batch {
                try await journal.append(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { try await journal.append(pending) }
    }

    /// `write`, also returning the last session number written.
    public func writeHistory(to journal: Journal, sessionEvents events: Int, batch: Int = 512) async throws -> (events: Int, lastSession: UInt64) {
        var pending: [StreamWrite] = []
        var written = 0
        func flush() async throws {
            if !pending.isEmpty { try await journal.append(pending) }
            pending.removeAll(keepingCapacity: true)
        }
        for (stream, e) in catalogue() {
            pending.append(StreamWrite(stream: stream, events: [e.newEvent(metadata: EventMetadata())]))
            if pending.count >= batch { try await flush() }
        }
        try await flush()
        var s: UInt64 = 1
        while written < events {
            for (stream, e) in session(s) {
                pending.append(StreamWrite(stream: stream, events: [e.newEvent(metadata: EventMetadata(correlationID: s))]))
                written += 1
            }
            if pending.count >= batch { try await flush() }
            s += 1
        }
        try await flush()
        return (written, s - 1)
    }
}
