import ReelDomain
import ReelJournal
import ReelRecommend
import ReelRuntime
import ReelViews

/// "Why was this video shown to this user?" from the recorded facts, and `verify`: choosing the page again by
/// replaying the journal to the positions the page recorded (views and model), with its seed, and comparing.
/// Works on a journal alone (the engine's, or a read-only one in `reel audit why`).
public struct FeedAudit: Sendable {
    public let journal: Journal
    public let snapshots: SnapshotStore?

    public init(journal: Journal, snapshots: SnapshotStore?) {
        self.journal = journal
        self.snapshots = snapshots
    }

    /// One served page containing the video.
    public struct Shown: Sendable {
        public var position: UInt64
        public var feed: FeedServed
        public var item: FeedItem
        /// 1-based place on the page.
        public var place: Int
    }

    /// Every page served to `user` at or before `position` that contained `video`, oldest first.
    public func why(user: UInt64, video: UInt64, upTo position: UInt64) throws -> [Shown] {
        var out: [Shown] = []
        var cursor = journal.events(from: 0, to: min(position &+ 1, journal.nextPosition))
        while let recorded = try cursor.next() {
            guard recorded.stream.kind == StreamKind.session else { continue }
            var r = recorded
            try EventCatalog.upcasters.upcast(&r)
            guard case .feedServed(let f)? = try ReelEvent.decode(r), f.viewer == user,
                let i = f.items.firstIndex(where: { $0.video == video })
            else { continue }
            out.append(Shown(position: recorded.position, feed: f, item: f.items[i], place: i + 1))
        }
        return out
    }

    /// The outcome of choosing a recorded page again.
    public struct Verification: Sendable {
        public var recorded: [FeedItem]
        public var recomputed: [FeedItem]
        /// Same videos, in the same order, from the same sources.
        public var matches: Bool { recorded.map(\.video) == recomputed.map(\.video) && recorded.map(\.source) == recomputed.map(\.source) }
    }

    /// Rebuilds the views to the page's `viewsPosition` and the model to its `modelVersion`, restores the
    /// session as it was just before the page, and runs the same chooser with the same seed. The page size
    /// asked for is not recorded: the number of items served stands for it.
    public func verify(_ shown: Shown, settings: FeedPipeline.Settings) throws -> Verification {
        let f = shown.feed
        let (session, _) = try EntityTimeTravel<SessionEntity>(journal: journal, snapshots: snapshots, upcast: EventCatalog.upcast)
            .state(of: f.session, atPosition: shown.position - 1)
        let views = f.viewsPosition == 0 ? try ViewStore(path: nil) : try ViewTimeTravel(journal: journal, storePath: nil).rebuild(toPosition: f.viewsPosition - 1)
        let request = FeedRequest(
            viewer: f.viewer, sessionID: f.session, recentlyServed: session.recentlyServed, count: f.items.count, at: f.occurredAt, seed: f.seed)
        let recomputed: [FeedItem]
        if f.items.contains(where: { $0.source == "fallback" }) || f.modelVersion == 0 && f.items.contains(where: { ["trending", "trendingGlobal"].contains($0.source) }) {
            let fallback = TrendingFeed.select(in: views, viewer: f.viewer, region: session.region, exclude: session.recentlyServed, count: f.items.count, at: f.occurredAt)
            recomputed = f.items.contains { $0.source == "fallback" } ? fallback.map { var i = $0; i.source = "fallback"; return i } : fallback
        } else if f.modelVersion == 0 {
            recomputed = InterestRanker.select(in: views, request) ?? []
        } else {
            var policy = ProjectionRunner<RecommenderStore>.Policy()
            policy.decryptPersonal = false
            let model = ProjectionRunner(journal: journal, projection: RecommenderStore(path: nil), policy: policy)
            try model.catchUp(to: f.modelVersion)
            var trace = FeedPipeline.Trace()
            recomputed = model.read { m in
                FeedPipeline.select(model: m.model, views: views, request: request, session: f.session, region: session.region, settings: settings, trace: &trace)
            } ?? []
        }
        return Verification(recorded: f.items, recomputed: recomputed)
    }
}

extension ReelEngine {
    /// Pages served to a user that contained a video, at or before a moment, oldest first.
    public func whyShown(user: UInt64, video: UInt64, at moment: Moment = .now) throws(ReelError) -> [FeedAudit.Shown] {
        guard let p = position(of: moment) else { return [] }
        do { return try FeedAudit(journal: journal, snapshots: snapshotStore).why(user: user, video: video, upTo: p) } catch { throw ReelError.from(error) }
    }

    /// Chooses a served page again by replaying to the positions it recorded (see `FeedAudit.verify`).
    public func verify(_ shown: FeedAudit.Shown) throws(ReelError) -> FeedAudit.Verification {
        do { return try FeedAudit(journal: journal, snapshots: snapshotStore).verify(shown, settings: pipelineSettings) } catch { throw ReelError.from(error) }
    }
}
