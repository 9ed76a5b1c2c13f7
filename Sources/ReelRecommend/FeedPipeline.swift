import Foundation
import ReelDomain
import ReelJournal
import ReelViews

/// The For You pipeline: candidate sources over the whole catalogue, a coarse scorer, the learned multi-task
/// ranker, then re-ranking for diversity, exploration and safety. Reads the recommender model and the views
/// (seen, blocked, trending) under their locks; deterministic for given model, views, request and seed.
public enum FeedPipeline {
    public struct Settings: Sendable, Hashable {
        /// Candidates asked of each source.
        public var annLongTerm = 400
        public var annSession = 250
        public var trending = 250
        public var trendingForKnownViewers = 50
        public var following = 100
        public var likedSimilar = 150
        /// The viewer's best hashtags (by a Thompson draw of their evidence), and per hashtag this many of its
        /// leaders and as many of its nearest videos (searched with a width of twice that).
        public var interestTags = 3
        public var perInterestTag = 50
        public var explore = 100
        /// Candidates from the learned index: nearest the viewer's learned context, and nearest their last video.
        public var learnedViewer = 200
        public var learnedNext = 100
        /// Search width of the ANN sources (at least the candidates asked for).
        public var ef = 320
        /// Candidates the coarse scorer keeps for the ranker.
        public var coarseKeep = 200
        /// What a completion, like, share and follow are worth, in seconds of watch time: the ranker orders by
        /// predicted watch seconds (watch head × duration) plus these times the other heads' probabilities.
        public var taskWeights: [Double] = [2, 10, 20, 30]
        /// Of every `exploreEvery` items, one is an exploration slot (0: none).
        public var exploreEvery = 3
        /// A video is new (eligible to explore) below this many plays and this age.
        public var exploreMaxPlays: UInt32 = 50
        public var exploreMaxAgeMillis: Int64 = 86_400_000
        /// An exploration slot is filled only by a new video whose predicted watched fraction for this viewer
        /// plus its sampled lift reaches this; otherwise the place goes to the ranked items (a slot given to a
        /// video the viewer will swipe away costs the session more than the play tells about the video).
        public var exploreMinFit = 0.3
        /// A new video leaves exploration once even an optimistic reading of its mean lift (this many standard
        /// errors above it) is below `exploreRetireBelowLift`, after at least `exploreRetireMinPlays` plays.
        public var exploreRetireBelowLift = -0.03
        public var exploreRetireConfidence = 1.3
        public var exploreRetireMinPlays: UInt32 = 4
        /// Main hashtags do not repeat within this many items (0: they may; creators and sounds never do
        /// within `creatorWindow`).
        public var hashtagWindow = 0
        /// What showing a main hashtag again within `creatorWindow` items costs, in the ranker's seconds: a
        /// session of one kind of video after another tires its viewer (in the simulated world a repeat is half
        /// a skip, and a skip a fifth of a session), so a slightly weaker video of another hashtag often wins.
        /// Measured on the simulated world: 0 gave 2,879 s per session on seed 1, 150: 3,253, 400: 3,390,
        /// 600: 3,428, 1,000: 3,389 (Docs/Performance.md).
        public var hashtagRepeatSeconds = 500.0
        /// For a viewer without a hashtag record, main hashtags do not repeat within this many items: their first
        /// page spans hashtags, so it repeats less and tells which ones they stay for.
        public var coldHashtagWindow = 9
        /// How strongly the learned affinity's odds weigh in stage 3 (0: the heads alone): `learnedWeight` while
        /// the feed has served nothing the heads could learn from (a model built from imported choices), moving
        /// to `learnedWeightServed` as served items accumulate, with `learnedWeightWarmupItems` as the scale.
        /// Measured: MovieTweetings (nothing served) NDCG@10 0.011 at 0, 0.134 at 1; the simulated world (seed
        /// 1, decision 0007's world) 3,430 s per session at 0, 3,506 at 0.3, 3,040 at 1.
        public var learnedWeight = 1.0
        public var learnedWeightServed = 0.3
        public var learnedWeightWarmupItems = 1_000.0

        /// λ = served + (unserved − served) · exp(−items served / warm-up): the heads learn which videos are
        /// chosen from served pages with their skips, so their word counts for more the more pages they saw.
        public func learnedWeight(servedItems: UInt64) -> Double {
            let warm = learnedWeightWarmupItems > 0 ? exp(-Double(servedItems) / learnedWeightWarmupItems) : 0
            return learnedWeightServed + (learnedWeight - learnedWeightServed) * warm
        }
        public init() {}
    }

    /// Creators and sounds do not repeat within this many items.
    public static let creatorWindow = 5

    /// What one request did, for benchmarks and logs.
    public struct Trace: Sendable {
        public var candidatesPerSource: [String: Int] = [:]
        public var candidates = 0
        public var coarseScored = 0
        public var ranked = 0
        public init() {}
    }

    struct Candidate {
        var video: UInt64
        var source: String
        var facts: VideoFacts
        var affinity = RankingFeatures.Affinity(longTerm: 0, session: 0, followed: false)
        var coarse = 0.0
        var predictions: [Double] = []
        var score = 0.0
        /// An exploration candidate's Thompson draw.
        var quality = 0.0
        /// An exploration candidate's claim on a slot: its predicted watched fraction plus its sampled lift.
        var fit = 0.0
    }

    /// The page, or nil when `deadline` passed (the caller falls back and says so).
    public static func select(
        model: RecommenderModel, views: ViewStore, request r: FeedRequest, session: UInt64, region: String,
        settings: Settings = Settings(),
        deadline: ContinuousClock.Instant? = nil, trace: inout Trace
    ) -> [FeedItem]? {
        let state = views.state
        let seen = state.seen[r.viewer]
        let blocked = state.blocked[r.viewer]
        let excluded = Set(r.recentlyServed)
        let now = r.at.milliseconds
        func overran() -> Bool { deadline.map { ContinuousClock.now > $0 } ?? false }
        // What the viewer may be shown: published, not just served, not seen, not from a blocked creator.
        func eligibleFacts(_ id: UInt64) -> VideoFacts? {
            guard let f = model.videos[id], f.live, excluded.isEmpty || !excluded.contains(id),
                !(seen?.contains(id) ?? false)
            else { return nil }
            return (blocked?.contains(f.creator) ?? false) ? nil : f
        }
        func eligible(_ id: UInt64) -> Bool { eligibleFacts(id) != nil }
        // The ANN filter runs for every node the search reaches: the index holds only live videos, so it looks
        // the video up only when the viewer blocks someone.
        let anyBlocked = !(blocked?.ids.isEmpty ?? true)
        func searchable(_ id: UInt64) -> Bool {
            if (!excluded.isEmpty && excluded.contains(id)) || (seen?.contains(id) ?? false) { return false }
            return !anyBlocked || eligible(id)
        }

        // 1. Candidate sources, in a fixed order; the first source to name a video keeps it.
        var candidates: [Candidate] = []
        var taken = Set<UInt64>()
        func add<S: Sequence<UInt64>>(_ ids: S, _ source: String, limit: Int = .max) {
            var n = 0
            for id in ids {
                if n >= limit { break }
                guard !taken.contains(id), let facts = eligibleFacts(id) else { continue }
                taken.insert(id)
                candidates.append(Candidate(video: id, source: source, facts: facts))
                n += 1
            }
            trace.candidatesPerSource[source, default: 0] += n
        }
        let session = model.sessionVector(of: session, at: now)
        let longTerm = model.longTerm(of: r.viewer, at: now)
        let user = model.users[r.viewer]
        // A viewer with a hashtag record: fewer popular candidates, and their page may repeat hashtags.
        let known = !(user?.tags.isEmpty ?? true)
        // Exploration: new videos with few plays, by a Thompson sample of their lift (how much better than
        // the watch head expected their viewers watched) and like rate, so a video whose first viewers stay
        // longer than predicted is drawn more and more often (reach widens), and an unplayed one competes at
        // "as expected" rather than at an optimistic prior that would spread plays thinly over every upload.
        // This source goes first: the similarity and trending sources below would otherwise claim the new
        // videos nearest the viewer as ordinary candidates (where they rarely beat proven ones), leaving
        // exploration the new videos that suit the viewer least (on the simulated world, seed 1: 2,879 s per
        // session and 386 new videos reaching 50 first-day plays with exploration last, 3,390 s and 473 first).
        var drawn: [UInt64: Double] = [:]
        if settings.exploreEvery > 0 {
            var ge = SplitMix64(seed: SplitMix64.mix(r.seed, 0xE7))
            var pool: [(Double, UInt64)] = []
            for id in model.fresh.reversed() {
                guard let f = model.videos[id], now - f.publishedAt < settings.exploreMaxAgeMillis else { break }
                guard f.plays < settings.exploreMaxPlays, eligible(id), stillExploring(f, settings) else { continue }
                pool.append((exploreSample(f, &ge), id))
                if pool.count >= settings.explore * 4 { break }
            }
            pool.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            drawn = [UInt64: Double](
                pool.prefix(settings.explore).map { ($0.1, $0.0) }, uniquingKeysWith: { a, _ in a })
            add(pool.prefix(settings.explore).map(\.1), "explore")
        }
        // The learned embeddings: videos nearest the viewer's learned context, then those nearest the video
        // they engaged with last ("more like what you just watched", as the audience sees it, not the content).
        let learnedContext = model.learned.context(of: r.viewer)
        if settings.learnedViewer > 0, Embedding.norm(learnedContext.vector) > 0 {
            add(
                model.learnedIndex.search(
                    unit(learnedContext.vector), k: settings.learnedViewer, ef: max(settings.ef, settings.learnedViewer),
                    accept: searchable
                ).map(\.label), "learned")
        }
        if settings.learnedNext > 0, let last = model.learned.lastEngaged(by: r.viewer),
            let q = model.learned.vector(of: last), Embedding.norm(q) > 0
        {
            add(
                model.learnedIndex.search(unit(q), k: settings.learnedNext, ef: max(settings.ef, settings.learnedNext), accept: searchable)
                    .map(\.label), "learnedNext")
        }
        if Embedding.norm(session) > 0 {
            add(
                model.index.search(
                    unit(session), k: settings.annSession, ef: max(settings.ef, settings.annSession), accept: searchable
                ).map(\.label), "session")
        }
        if Embedding.norm(longTerm) > 0 {
            add(
                model.index.search(
                    unit(longTerm), k: settings.annLongTerm, ef: max(settings.ef, settings.annLongTerm),
                    accept: searchable
                ).map(\.label), "longTerm")
        }
        if overran() { return nil }
        let code = ViewKey.region(region)
        var trending = code != 0 ? Array((model.trending[code]?.top ?? []).prefix(settings.trending * 2)) : []
        if trending.count < settings.trending * 2 {
            trending += (model.trending[0]?.top ?? []).prefix(settings.trending * 2)
        }
        // Popularity is for viewers the model knows little about; a viewer with a hashtag record gets fewer.
        add(trending, "trending", limit: known ? settings.trendingForKnownViewers : settings.trending)
        if let following = user?.following.ids, !following.isEmpty {
            // Newest first across followed creators.
            var recent: [(Int64, UInt64)] = []
            for c in following {
                for v in model.byCreator[c] ?? [] { recent.append((model.videos[v]?.publishedAt ?? 0, v)) }
            }
            recent.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            add(recent.prefix(settings.following * 2).map(\.1), "following", limit: settings.following)
        }
        if let likes = user?.recentLikes, !likes.isEmpty {
            var similar: [UInt64] = []
            for liked in likes.reversed() {
                guard let f = model.videos[liked] else { continue }
                if f.sound != 0 { similar += (model.bySound[f.sound] ?? []).reversed() }
                for t in f.tags.prefix(2) { similar += (model.byTag[t] ?? []).reversed() }
                if similar.count >= settings.likedSimilar * 2 { break }
            }
            add(Array(similar.prefix(settings.likedSimilar * 2)), "likedSimilar", limit: settings.likedSimilar)
        }
        // The hashtags the viewer stays for (their own record, not the blended embedding).
        add(
            interestTagCandidates(model: model, viewer: r.viewer, seed: r.seed, settings: settings, accept: searchable),
            "interestTags")
        let wanted = r.count * 8
        if candidates.count < wanted {
            // Cold start with nothing trending, or a viewer who has seen what the sources offer: the newest
            // published videos they have not seen fill the rest (walking back through the fresh pool).
            add(model.fresh.reversed(), "fresh", limit: wanted - candidates.count)
        }
        trace.candidates = candidates.count
        if overran() { return nil }

        // 2. Coarse: affinities and a smoothed completion rate; keep the best `coarseKeep`. Later stages
        //    refer to candidates by position: a candidate carries the video's facts (three arrays), and
        //    copying it through filters and sorts was a tenth of a page in retain/release.
        let vectors = RankingFeatures.ViewerVectors(
            longTerm: longTerm, session: session, learned: learnedContext, at: now)
        var exploring: [Int] = []
        var ranked: [Int] = []
        let learned = model.learned
        for i in candidates.indices {
            let a = RankingFeatures.affinity(
                model: model, learned: learned, video: candidates[i].video, facts: candidates[i].facts, viewer: vectors, user: user)
            candidates[i].affinity = a
            // A crude expected watch time: affinity × the video's mean watched fraction × its length.
            let tag = 5 * Double(a.tagFit - TagEvidence.prior)
            let affinity = max(0.1, 0.5 + Double(a.longTerm) + 1.5 * Double(a.session) + (a.followed ? 0.3 : 0) + tag)
            let meanFraction =
                (Double(candidates[i].facts.watchFractionSum) + 0.4) / (Double(candidates[i].facts.plays) + 1)
            candidates[i].coarse =
                affinity * meanFraction * Double(max(candidates[i].facts.durationMillis, 1000)) / 1000
            if candidates[i].source == "explore" {
                candidates[i].quality = drawn[candidates[i].video] ?? 0
                exploring.append(i)
            } else {
                ranked.append(i)
            }
        }
        trace.coarseScored = candidates.count
        ranked.sort {
            candidates[$0].coarse != candidates[$1].coarse
                ? candidates[$0].coarse > candidates[$1].coarse : candidates[$0].video < candidates[$1].video
        }
        if ranked.count > settings.coarseKeep { ranked.removeLast(ranked.count - settings.coarseKeep) }
        if overran() { return nil }

        // 3. The learned ranker: each task's probability, then the weighted sum. New videos are ranked too:
        //    an exploration slot goes to the one whose predicted watch time plus its sampled lift is highest,
        //    so exploring shows a new video to the viewers it suits (cheaper, and its lift still measures the
        //    video, since the prediction already counts the match).
        let replays = model.replaysPerCompletion
        // The page's best learned affinity: scores keep their scale in seconds (the top candidate's factor is 1).
        let reference = candidates.reduce(-Float.infinity) { max($0, $1.affinity.learned) }
        let learnedWeight = settings.learnedWeight(servedItems: model.servedItems)
        func rank(_ c: inout Candidate) {
            let features = RankingFeatures.hashed(
                viewer: r.viewer, video: c.video, facts: c.facts, affinity: c.affinity, at: now)
            c.predictions = model.heads.map { $0.predict(features, margin: RankingFeatures.margin(c.affinity)) }
            c.score = chosen(
                worth(c.predictions, durationMillis: c.facts.durationMillis, replaysPerCompletion: replays, settings),
                learned: c.affinity.learned, reference: reference, weight: learnedWeight)
            if c.source == "explore" { c.fit = min(1, c.predictions[RecommenderModel.watchTask]) + c.quality }
        }
        for i in ranked { rank(&candidates[i]) }
        for i in exploring { rank(&candidates[i]) }
        trace.ranked = ranked.count + exploring.count
        func byScore(_ a: Int, _ b: Int) -> Bool {
            candidates[a].score != candidates[b].score
                ? candidates[a].score > candidates[b].score : candidates[a].video < candidates[b].video
        }
        ranked.sort(by: byScore)
        exploring.sort {
            candidates[$0].fit != candidates[$1].fit
                ? candidates[$0].fit > candidates[$1].fit : candidates[$0].video < candidates[$1].video
        }

        // 4. Re-rank, place by place: diversity (creators and sounds never within `creatorWindow`, reaching back
        //    into the session's previous page; a repeated main hashtag at a price), and exploration places at
        //    every `exploreEvery`-th place for new videos that fit the viewer well enough.
        let slotted = exploring.filter { candidates[$0].fit >= settings.exploreMinFit }
        func look(_ f: VideoFacts) -> PageAssembly.Look {
            PageAssembly.Look(creator: f.creator, sound: f.sound, mainTag: f.tags.first)
        }
        let assembly = PageAssembly(
            window: creatorWindow, hashtagWindow: known ? settings.hashtagWindow : settings.coldHashtagWindow,
            hashtagRepeatSeconds: known ? settings.hashtagRepeatSeconds : 0, exploreEvery: settings.exploreEvery)
        let recent = r.recentlyServed.suffix(max(creatorWindow, assembly.hashtagWindow)).compactMap {
            model.videos[$0].map(look)
        }
        let page = assembly.assemble(
            count: r.count, items: candidates.map { PageAssembly.Item(look: look($0.facts), score: $0.score) },
            ranked: ranked, exploring: slotted, spare: exploring, recent: recent)
        return page.map { i in
            let c = candidates[i]
            var features = [
                NamedValue("longTerm", c.affinity.longTerm), NamedValue("session", c.affinity.session),
                NamedValue("followed", c.affinity.followed ? 1 : 0), NamedValue("plays", Float(c.facts.plays)),
                NamedValue("coarse", Float(c.coarse)), NamedValue("tagFit", c.affinity.tagFit),
                NamedValue("tagEvidence", c.affinity.tagEvidence),
            ]
            for (t, p) in zip(RecommenderModel.tasks, c.predictions) { features.append(NamedValue("p_" + t, Float(p))) }
            if c.source == "explore" { features.append(NamedValue("exploreSample", Float(c.quality))) }
            return FeedItem(video: c.video, source: c.source, score: Float(c.score), features: features)
        }
    }

    /// The ranker's value of one video for a viewer now (what stage 3 orders by), or nil for an unknown or
    /// taken-down video: for offline evaluation, which ranks whole catalogues with it.
    public static func utility(
        model: RecommenderModel, viewer: UInt64, session: UInt64, video: UInt64, at now: Int64,
        settings: Settings = Settings()
    )
        -> Double?
    {
        utilities(model: model, viewer: viewer, session: session, videos: [video], at: now, settings: settings)[0]
    }

    /// The same for many videos, the viewer's vectors computed once.
    public static func utilities(
        model: RecommenderModel, viewer: UInt64, session: UInt64, videos: [UInt64], at now: Int64,
        settings: Settings = Settings()
    ) -> [Double?] {
        let vectors = RankingFeatures.ViewerVectors(model: model, viewer: viewer, session: session, at: now)
        let user = model.users[viewer]
        let replays = model.replaysPerCompletion
        let learnedWeight = settings.learnedWeight(servedItems: model.servedItems)
        let learned = model.learned
        return videos.map { video in
            guard let f = model.videos[video], f.live else { return nil }
            let a = RankingFeatures.affinity(model: model, learned: learned, video: video, facts: f, viewer: vectors, user: user)
            let features = RankingFeatures.hashed(viewer: viewer, video: video, facts: f, affinity: a, at: now)
            let margin = RankingFeatures.margin(a)
            return chosen(
                worth(
                    model.heads.map { $0.predict(features, margin: margin) }, durationMillis: f.durationMillis,
                    replaysPerCompletion: replays, settings),
                learned: a.learned, reference: 0, weight: learnedWeight)
        }
    }

    /// What stage 3 orders by: the heads' worth (what a play is worth, given the video is shown) times the
    /// learned odds that this viewer engages with it at all, `exp(weight × (s − reference))`, where `weight` moves
    /// from `learnedWeight` to `learnedWeightServed` as the feed serves items (`Settings.learnedWeight`). The heads learn
    /// from impressions: from served pages, with their skips, they learn which videos are chosen; from a log of
    /// choices alone (imported ratings) they cannot, and the learned affinity, trained against sampled
    /// negatives, can. (Figures at `Settings.learnedWeight`; decision 0020.)
    /// The reference keeps the scale (seconds) and cancels in the order.
    static func chosen(_ worth: Double, learned: Float, reference: Float, weight: Double) -> Double {
        guard weight > 0, reference.isFinite else { return worth }
        return worth * exp(weight * Double(learned - reference))
    }

    /// What the ranker orders by: predicted watch seconds plus the configured worth of the other tasks.
    /// Predicted seconds of the first play (watch head × duration) and of replays (completion head × replays per
    /// completion × duration), plus the other tasks' configured worth.
    static func worth(_ p: [Double], durationMillis: UInt64, replaysPerCompletion: Double, _ settings: Settings)
        -> Double
    {
        let seconds = Double(max(durationMillis, 1000)) / 1000
        return p[RecommenderModel.watchTask] * seconds + p[0] * replaysPerCompletion * seconds
            + zip(p, settings.taskWeights).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The spread of one impression's lift assumed when deciding to retire a new video from exploration.
    static let retireSpread = 0.15

    /// Whether a new video may still be explored: too few plays to judge, or an optimistic reading of its
    /// mean lift (`exploreRetireConfidence` standard errors above it) still reaches `exploreRetireBelowLift`.
    /// Most uploads are not among the best; telling them apart in a handful of plays frees the slots for the
    /// ones that may be, which need their first day's reach.
    public static func stillExploring(_ f: VideoFacts, _ settings: Settings) -> Bool {
        guard f.lifted >= max(1, settings.exploreRetireMinPlays) else { return true }
        let n = Double(f.lifted)
        return Double(f.liftSum) / n + settings.exploreRetireConfidence * retireSpread / n.squareRoot()
            >= settings.exploreRetireBelowLift
    }

    /// The candidates of the viewer's hashtags: a Thompson draw per hashtag of their evidence (so one they
    /// have been shown once competes with its uncertainty), then, for the best `interestTags`, the videos
    /// nearest that hashtag's direction in the content space (a video's content vector leans to its hashtags).
    public static func interestTagCandidates(
        model: RecommenderModel, viewer: UInt64, seed: UInt64, settings: Settings, accept: @escaping (UInt64) -> Bool
    ) -> [UInt64] {
        guard settings.interestTags > 0, let known = model.users[viewer]?.tags, !known.isEmpty else { return [] }
        var g = SplitMix64(seed: SplitMix64.mix(seed, 0x7A6))
        var drawn: [(Double, UInt64)] = []
        for t in known.keys.sorted() {
            let e = known[t]!
            let a = Double(e.watched + TagEvidence.prior * TagEvidence.priorWeight)
            let b = Double(e.impressions - e.watched + (1 - TagEvidence.prior) * TagEvidence.priorWeight)
            drawn.append((g.beta(max(a, 1e-3), max(b, 1e-3)), t))
        }
        drawn.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        var out: [UInt64] = []
        let k = settings.perInterestTag
        for (_, t) in drawn.prefix(settings.interestTags) {
            out += (model.tagLeaders[t] ?? []).filter { accept($0) }.prefix(k)
            out += model.index.search(Embedding.direction(Embedding.key(.hashtag, t)), k: k, ef: 2 * k, accept: accept)
                .map(\.label)
        }
        return out
    }

    /// Spread of one impression's lift (watched fraction minus prediction), and the pseudo-impressions of
    /// "as expected" every new video starts with.
    static let liftSpread = 0.3
    static let liftPrior = 2.0

    /// One Thompson draw of a new video's worth: lift ~ Normal(shrunk mean, spread / √n), plus half a like rate.
    public static func exploreSample(_ f: VideoFacts, _ g: inout SplitMix64) -> Double {
        let n = Double(f.lifted) + liftPrior
        let lift = Double(f.liftSum) / n + liftSpread / n.squareRoot() * g.normal()
        return lift + 0.5 * g.beta(Double(f.likes) + 0.2, Double(f.plays) + 4)
    }

    static func unit(_ v: [Float]) -> [Float] {
        var u = v
        Embedding.normalise(&u)
        return u
    }
}
