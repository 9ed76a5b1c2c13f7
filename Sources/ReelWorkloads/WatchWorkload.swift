import ReelDomain
import ReelJournal

/// The shared, pinned workload of every benchmark (described in `Docs/Workloads.md`): watch events on
/// session streams drawn Zipf(1.0) over 100,000 sessions.
///
/// Event `i` is a pure function of `(seed, i)`, so concurrent writers can each generate their share and two
/// runs (or two processes) produce identical events.
public struct WatchWorkload: Sendable {
    public var seed: UInt64
    public var sessions: Int
    public var viewers: Int
    public var videos: Int
    public var exponent: Double
    /// `occurredAt` of event 0; each event is 2 ms after the one before.
    public var start: Timestamp
    private let sessionSampler: ZipfSampler
    private let videoSampler: ZipfSampler

    public init(
        seed: UInt64 = 42, sessions: Int = 100_000, viewers: Int = 20_000, videos: Int = 100_000, exponent: Double = 1.0,
        start: Timestamp = Timestamp(seconds: 1_767_225_600)  // 2026-01-01T00:00:00Z
    ) {
        self.seed = seed
        self.sessions = sessions
        self.viewers = viewers
        self.videos = videos
        self.exponent = exponent
        self.start = start
        sessionSampler = ZipfSampler(count: sessions, exponent: exponent)
        videoSampler = ZipfSampler(count: videos, exponent: exponent)
    }

    /// Session ids are 1...sessions; a session's viewer is fixed by a multiplicative hash.
    public func viewer(ofSession s: UInt64) -> UInt64 {
        1 + (s &* 2_654_435_761) % UInt64(viewers)
    }

    /// A video's duration: 5 s to 180 s, fixed per video.
    public func duration(ofVideo v: UInt64) -> UInt64 {
        5_000 + SplitMix64.mix(seed ^ 0x5EED, v) % 175_001
    }

    /// The `i`-th watch event and its stream.
    public func event(_ i: UInt64) -> (stream: StreamID, event: VideoWatched) {
        var g = SplitMix64(seed: SplitMix64.mix(seed, i))
        let session = UInt64(sessionSampler.sample(using: &g) + 1)
        let video = UInt64(videoSampler.sample(using: &g) + 1)
        let duration = duration(ofVideo: video)
        // Watch fraction: a quarter of impressions are quick skips, the rest spread up to a full view,
        // and a few complete views loop once or twice.
        let u = g.nextUnit()
        let fraction = u < 0.25 ? g.nextUnit() * 0.2 : 0.2 + g.nextUnit() * 0.85
        let completed = fraction >= 1.0
        let loops: UInt64 = completed && g.nextUnit() < 0.3 ? 1 + g.next() % 2 : 0
        let watched = UInt64(min(fraction, 1.0) * Double(duration)) + loops * duration
        let e = VideoWatched(
            viewer: viewer(ofSession: session), video: video, session: session, watchMillis: watched,
            durationMillis: duration, loops: loops, completed: completed,
            occurredAt: start.adding(microseconds: Int64(i) * 2_000))
        return (.session(session), e)
    }

    /// The journal event for `i`: correlation is the session, the actor is the viewer.
    public func newEvent(_ i: UInt64) -> (stream: StreamID, event: NewEvent) {
        let (s, e) = event(i)
        return (s, e.newEvent(metadata: EventMetadata(correlationID: e.session, actorID: e.viewer)))
    }
}
