import ReelDomain
import ReelJournal
import ReelRuntime
import ReelRecommend
import ReelViews

/// One feed page as served (and recorded in the journal as `FeedServed`).
public struct FeedPage: Sendable, Hashable {
    public var session: UInt64
    /// The journal position of the page's `FeedServed` event (what audits refer to).
    public var position: UInt64?
    /// The views' position the page was chosen from: replaying to it rebuilds exactly what was consulted.
    public var viewsPosition: UInt64
    public var items: [FeedEntry]
}

public struct FeedEntry: Sendable, Hashable {
    public var video: VideoDetails
    /// Which candidate source chose it: the pipeline's "session", "longTerm", "trending", "following",
    /// "likedSimilar", "interestTags", "explore", "fresh"; the fallback's "fallback" (or, with the trending ranker, "trending",
    /// "trendingGlobal", "fresh").
    public var source: String
    public var score: Float
}

extension ReelEngine {
    /// The next For You page for a session: unseen, published videos from creators the viewer has not
    /// blocked, recorded as `FeedServed` before it is returned (so what the viewer saw is always auditable).
    public func feed(session: UInt64, count: Int? = nil) async throws(ReelError) -> FeedPage {
        let n = count ?? configuration.recommender.defaultPageSize
        guard (1...configuration.recommender.maxPageSize).contains(n) else {
            throw .invalid("invalidCount", "count must be 1...\(configuration.recommender.maxPageSize), got \(n)")
        }
        let (s, version): (SessionEntity.State, UInt64)
        do { (s, version) = try await sessions.state(of: session) } catch { throw ReelError.from(error) }
        guard s.started else { throw .notFound("unknownSession", "session \(session) has not been started") }
        let t = now
        let started = ContinuousClock.now
        let seed = Self.seed(session: session, version: version)
        // Read your writes: the session's own engagement is in the model and views before its next page.
        if let written = sessionWrites.withLock({ $0[session] }) {
            await viewsInclude(written)
            await modelIncludes(written)
        }
        let ranker = configuration.recommender.ranker
        let budget = Duration.milliseconds(configuration.recommender.timeBudgetMillis)
        let request = FeedRequest(viewer: s.viewer, sessionID: session, recentlyServed: s.recentlyServed, count: n, at: t, seed: seed)
        let settings = pipelineSettings
        // Lock order: model, then views (nothing takes them the other way round). Shared: pages are chosen
        // in parallel, between chunks of the folds (the pipeline only reads in-memory state).
        let (position, modelVersion, items, fellBack) = modelRunner.readShared { model in
            viewRunner.readShared { store -> (UInt64, UInt64, [FeedItem], Bool) in
                // The budget is for choosing, from when both locks are held: waiting for a fold or a views
                // checkpoint to finish is not the ranker overrunning.
                let deadline = ContinuousClock.now + budget
                var trace = FeedPipeline.Trace()
                switch ranker {
                case "pipeline":
                    if let ranked = FeedPipeline.select(
                        model: model.model, views: store, request: request, session: session, region: s.region, settings: settings, deadline: deadline,
                        trace: &trace)
                    {
                        return (store.nextPosition, model.nextPosition, ranked, false)
                    }
                case "interest":
                    if let ranked = InterestRanker.select(in: store, request, deadline: deadline) { return (store.nextPosition, 0, ranked, false) }
                default: break
                }
                let fallback = TrendingFeed.select(in: store, viewer: s.viewer, region: s.region, exclude: s.recentlyServed, count: n, at: t)
                // Said in the served reasons: the source names the fallback.
                let marked = ranker == "trending" ? fallback : fallback.map { var i = $0; i.source = "fallback"; return i }
                return (store.nextPosition, 0, marked, ranker != "trending")
            }
        }
        if fellBack { logger.warning("ranking overran its \(configuration.recommender.timeBudgetMillis) ms budget; served the trending fallback") }
        let receipt = try await run(
            "feed", sessions,
            .recordFeed(feed: FeedKind.forYou, viewsPosition: position, seed: seed, modelVersion: modelVersion, build: build, items: items, at: t),
            to: session)
        let entries = viewRunner.readShared { store in
            items.compactMap { i in Self.details(i.video, in: store.state).map { FeedEntry(video: $0, source: i.source, score: i.score) } }
        }
        metrics.recordFeed(started: started, outcome: fellBack ? "fallback" : "ranked")
        return FeedPage(session: session, position: receipt.position, viewsPosition: position, items: entries)
    }
}

extension ReelEngine {
    /// The pipeline's settings from the configuration.
    var pipelineSettings: FeedPipeline.Settings { Self.pipelineSettings(configuration.recommender) }

    static func pipelineSettings(_ r: ReelConfiguration.RecommenderSettings) -> FeedPipeline.Settings {
        var p = FeedPipeline.Settings()
        p.taskWeights = r.parsedTaskWeights
        p.exploreEvery = r.exploreEvery
        p.hashtagRepeatSeconds = Double(r.hashtagRepeatSeconds)
        p.learnedWeight = Double(r.learnedWeightPercent) / 100
        p.learnedWeightServed = Double(r.learnedWeightServedPercent) / 100
        p.learnedWeightWarmupItems = Double(r.learnedWeightWarmupItems)
        return p
    }

    /// The pipeline's settings under the default configuration (for audits outside an engine).
    public static var defaultPipelineSettings: FeedPipeline.Settings { pipelineSettings(ReelConfiguration.RecommenderSettings()) }

    /// A feed's random seed, fixed by the session and its version (SplitMix64's finaliser), so a replay
    /// draws the same numbers.
    static func seed(session: UInt64, version: UInt64) -> UInt64 {
        var z = session &+ version &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `FeedServed.feed`: which feed a page belongs to.
enum FeedKind {
    static let forYou: UInt32 = 0
    static let following: UInt32 = 1
}

/// The feed until the recommender exists: trending in the viewer's region, then global trending, then the
/// newest published videos; never one the viewer watched or was served, nor one from a blocked creator.
/// Deterministic for given views and time (ties go to the smaller id).
enum TrendingFeed {
    static func select(in store: ViewStore, viewer: UInt64, region: String, exclude: [UInt64], count: Int, at t: Timestamp) -> [FeedItem] {
        let state = store.state
        let seen = state.seen[viewer]
        let blocked = state.blocked[viewer]
        let excluded = Set(exclude)
        var chosen: [FeedItem] = []
        var taken = Set<UInt64>()
        func consider(_ video: UInt64, source: String, score: Double) {
            guard chosen.count < count, !taken.contains(video), !excluded.contains(video), !(seen?.contains(video) ?? false),
                  let v = state.videos[video], v.videoStatus == .published, !(blocked?.contains(v.creator) ?? false)
            else { return }
            taken.insert(video)
            // What the choice rested on, for "why was this shown".
            let counters = state.videoCounters[video]
            let features = [
                NamedValue("trendingScore", Float(score)), NamedValue("plays", Float(counters?.plays ?? 0)),
                NamedValue("completionRate", Float(counters?.completionRate ?? 0)),
                NamedValue("ageHours", Float(max(0, t.microseconds - v.publishedAt.microseconds)) / 3.6e9),
            ]
            chosen.append(FeedItem(video: video, source: source, score: Float(score), features: features))
        }
        let code = ViewKey.region(region)
        if code != 0 {
            for (id, score) in store.trending(state.trendingVideos, region: code, at: t, limit: count * 4) { consider(id, source: "trending", score: score) }
        }
        for (id, score) in store.trending(state.trendingVideos, region: 0, at: t, limit: count * 4) { consider(id, source: "trendingGlobal", score: score) }
        if chosen.count < count {
            let fresh = state.videos.sortedKeys.compactMap { k -> (UInt64, Int64)? in
                guard let v = state.videos[k], v.videoStatus == .published else { return nil }
                return (k, v.publishedAt.microseconds)
            }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            for (id, _) in fresh where chosen.count < count { consider(id, source: "fresh", score: 0) }
        }
        return chosen
    }
}
