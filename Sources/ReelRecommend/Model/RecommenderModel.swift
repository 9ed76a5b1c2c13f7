import Foundation
import ReelDomain
import ReelJournal
import ReelViews

/// Everything the recommender learns, folded from the journal in order: per-video facts and embeddings, the
/// HNSW index over content vectors, viewers' long-term and session vectors, recency lists for candidate
/// sources, and the multi-task FTRL ranker trained online with progressive validation.
///
/// Deterministic: lookups only in dictionaries (never iterated where order could leak), fixed hashing, fixed
/// float evaluation order; `serialized()` is canonical, so two processes folding the same journal compare equal.
public final class RecommenderModel {
    /// The ranker's tasks, in head order.
    public static let tasks = ["completion", "like", "share", "follow", "watch"]
    /// The head predicting the watched fraction (expected watch time = it × duration).
    public static let watchTask = 4
    /// Long-term and session half-lives (ms).
    public static let longTermHalfLife: Double = 14 * 86_400_000
    public static let sessionHalfLife: Double = 3_600_000
    /// Bounds of the recency lists per hashtag, sound and creator, and of the fresh pool.
    public static let recentPerKey = 64
    public static let freshPool = 20_000
    static let recentLikesKept = 8
    public static let leadersPerTag = 100
    /// Hashtags remembered per viewer (the least seen go first).
    public static let tagsKeptPerViewer = 64

    public let index: HNSWIndex
    public internal(set) var videos: [UInt64: VideoFacts] = [:]
    public internal(set) var users: [UInt64: UserFacts] = [:]
    public internal(set) var sessions: [UInt64: SessionFacts] = [:]
    public internal(set) var byTag: [UInt64: [UInt64]] = [:]
    /// Per hashtag, the videos viewers watch most seconds of (`leaderScore`), best first as of each one's
    /// latest play: the catalogue's best of a hashtag, where `byTag` only has its newest.
    public internal(set) var tagLeaders: [UInt64: [UInt64]] = [:]
    public internal(set) var bySound: [UInt64: [UInt64]] = [:]
    public internal(set) var byCreator: [UInt64: [UInt64]] = [:]
    /// Recently published videos, oldest first (the exploration pool's source).
    public internal(set) var fresh: [UInt64] = []
    /// Trending per region (0: everywhere), in the model so the pipeline need not scan the views.
    public internal(set) var trending: [UInt16: TrendingBoard] = [:]
    public internal(set) var heads: [FTRL]
    /// Completed plays and the replays (loops) that followed them, so the ranker can count the seconds of
    /// replays a completion brings (`replaysPerCompletion`).
    public internal(set) var completedPlays: UInt64 = 0
    public internal(set) var replays: UInt64 = 0
    /// Replays per completed play, shrunk toward none until there are plays to tell.
    public var replaysPerCompletion: Double { Double(replays) / (Double(completedPlays) + 20) }
    public internal(set) var validation: [ProgressiveValidation]
    /// Video and viewer embeddings learned from engagement (BPR with sampled negatives, content as the prior).
    public internal(set) var learned = CollaborativeModel()
    /// HNSW over the learned video vectors (unit length), for the viewer → videos and video → videos sources.
    /// A video is re-indexed when its vector has turned by more than `learnedReindexCosine` since it was indexed.
    public let learnedIndex: HNSWIndex
    public static let learnedReindexCosine: Float = 0.9
    /// Items the feed served: an impression of a served page can be a skip, so the heads learn from such
    /// impressions which videos are chosen; an imported watch is a choice made elsewhere, and they cannot. The
    /// more items served, the less the ranker leans on the learned odds of being chosen (decision 0020).
    public internal(set) var servedItems: UInt64 = 0
    /// Per video: engagements the learned model has seen, and how many it had when last indexed.
    var learnedEngagements: [UInt64: UInt32] = [:]
    var learnedIndexedAt: [UInt64: UInt32] = [:]
    /// Impressions (watches and skips) folded.
    public internal(set) var impressionsFolded: UInt64 = 0

    public init(indexParameters: HNSWIndex.Parameters = .init(m: 16, efConstruction: 64)) {
        index = HNSWIndex(dimension: Embedding.dimension, parameters: indexParameters)
        learnedIndex = HNSWIndex(dimension: CollaborativeModel.dimension, parameters: indexParameters)
        heads = Self.tasks.map { _ in FTRL() }
        validation = Self.tasks.map { _ in ProgressiveValidation() }
    }

    init(index: HNSWIndex, learnedIndex: HNSWIndex) {
        self.index = index
        self.learnedIndex = learnedIndex
        heads = Self.tasks.map { _ in FTRL() }
        validation = Self.tasks.map { _ in ProgressiveValidation() }
    }

    // MARK: Vectors

    /// A video's vector: content, pulled toward who engaged with it as that evidence grows.
    public func vector(of video: UInt64) -> [Float]? {
        guard var v = index.vector(of: video), let facts = videos[video] else { return nil }
        if facts.collaborativeWeight > 0 {
            let pull = min(1, facts.collaborativeWeight / 10)
            var c = facts.collaborative
            Embedding.normalise(&c)
            Embedding.add(&v, c, weight: pull)
            Embedding.normalise(&v)
        }
        return v
    }

    /// Cosines of the viewer's (unit) vectors with `vector(of:)`, without building it: content · q plus the
    /// collaborative pull's share, over the combined vector's length. The one place affinities come from, in
    /// the fold (training) and in the feed (serving), so both see the same bits.
    func cosines(of video: UInt64, facts: VideoFacts, _ q: RankingFeatures.ViewerVectors) -> (
        longTerm: Float, session: Float
    ) {
        guard !q.longTerm.isEmpty || !q.session.isEmpty else { return (0, 0) }
        let d = Embedding.dimension
        return index.withVector(of: video) { c -> (longTerm: Float, session: Float) in
            func dot(_ a: [Float], _ b: UnsafePointer<Float>) -> Float {
                a.isEmpty ? 0 : a.withUnsafeBufferPointer { VectorKernels.dot($0.baseAddress!, b, paddedDim: d) }
            }
            var l = dot(q.longTerm, c)
            var s = dot(q.session, c)
            var length2 = VectorKernels.dot(c, c, paddedDim: d)
            if facts.collaborativeWeight > 0, facts.collaborative.count == d {
                facts.collaborative.withUnsafeBufferPointer { collab in
                    let p = collab.baseAddress!
                    let cc = VectorKernels.dot(p, p, paddedDim: d)
                    guard cc > 0 else { return }
                    let k = min(1, facts.collaborativeWeight / 10) / cc.squareRoot()
                    l += k * dot(q.longTerm, p)
                    s += k * dot(q.session, p)
                    length2 += 2 * k * VectorKernels.dot(c, p, paddedDim: d) + k * k * cc
                }
            }
            guard length2 > 0 else { return (0, 0) }
            let length = length2.squareRoot()
            return (l / length, s / length)
        } ?? (0, 0)
    }

    /// A viewer's long-term vector decayed to `now` (not normalised: its length says how much is known).
    public func longTerm(of user: UInt64, at now: Int64) -> [Float] {
        guard let u = users[user], !u.longTerm.isEmpty else { return [] }
        var v = u.longTerm
        Embedding.scale(&v, Self.decay(from: u.updatedAt, to: now, halfLife: Self.longTermHalfLife))
        return v
    }

    public func sessionVector(of session: UInt64, at now: Int64) -> [Float] {
        guard let s = sessions[session], !s.vector.isEmpty else { return [] }
        var v = s.vector
        Embedding.scale(&v, Self.decay(from: s.updatedAt, to: now, halfLife: Self.sessionHalfLife))
        return v
    }

    static func decay(from then: Int64, to now: Int64, halfLife: Double) -> Float {
        now > then ? Float(exp2(-Double(now - then) / halfLife)) : 1
    }

    // MARK: Fold

    public func apply(_ event: ReelEvent) {
        switch event {
        case .uploadCompleted(let e):
            var f = videos[e.video] ?? VideoFacts()
            f.creator = e.creator
            f.sound = e.sound
            f.tags = e.hashtags.map { ViewKey.hashtag($0) }
            // Caption words are not read: a caption is its creator's personal data (sealed, unreadable after
            // an erasure), and the model must rebuild the same bytes after an erasure as it had before.
            videos[e.video] = f
        case .processingSucceeded(let e):
            guard var f = videos[e.video] else { return }
            f.durationMillis = e.durationMillis
            if e.sound != 0 || e.width != 0 { f.sound = e.sound }
            videos[e.video] = f
        case .published(let e): publish(e.video, at: e.occurredAt.milliseconds)
        case .rejected(let e): takeDown(e.video)
        case .removed(let e): takeDown(e.video)
        case .restored(let e): publish(e.video, at: e.occurredAt.milliseconds)
        case .userErased(let e): erase(e.user)
        case .followed(let e):
            var u = users[e.user] ?? UserFacts()
            u.following.insert(e.creator)
            users[e.user] = u
            if var s = sessions[e.session], s.pending?.creator == e.creator {
                s.pending?.followed = true
                sessions[e.session] = s
            }
            if let video = e.video(in: self) {
                bump(video, \.follows)
                learned.learn(viewer: e.user, video: video, weight: 1, at: e.occurredAt.milliseconds)
            }
        case .unfollowed(let e):
            guard var u = users[e.user] else { return }
            u.following.remove(e.creator)
            users[e.user] = u
        case .sessionStarted(let e):
            sessions[e.session] = SessionFacts(viewer: e.viewer, region: ViewKey.region(e.region))
        case .sessionEnded(let e):
            finishPending(of: e.session)
            sessions[e.session] = nil
        case .liked(let e) where videos[e.video] != nil:
            noteTrending(e.video, session: e.session, weight: 3, at: e.occurredAt.milliseconds)
            applyLike(e)
        case .shared(let e) where videos[e.video] != nil:
            noteTrending(e.video, session: e.session, weight: 5, at: e.occurredAt.milliseconds)
            applyShare(e)
        case .feedServed(let e):
            for item in e.items { bump(item.video, \.impressions) }
            servedItems &+= UInt64(e.items.count)
        case .watched(let e):
            let fraction = e.durationMillis > 0 ? min(Double(e.watchMillis) / Double(e.durationMillis), 3) : 0
            let signal = Float(min(fraction, 1) + (e.completed ? 0.5 : 0) + 0.3 * Double(min(e.loops, 3)) - 0.4)
            impression(
                viewer: e.viewer, video: e.video, session: e.session, completed: e.completed,
                fraction: min(fraction, 1), at: e.occurredAt.milliseconds)
            noteTrending(
                e.video, session: e.session, weight: min(fraction, 1) + (e.completed ? 1 : 0),
                at: e.occurredAt.milliseconds)
            played(e.video, by: e.viewer, fraction: min(fraction, 1), completed: e.completed, loops: e.loops)
            engage(viewer: e.viewer, video: e.video, session: e.session, signal: signal, at: e.occurredAt.milliseconds)
            // After learning from it: the pair saw the popularity from before this play.
            learned.played(e.video, at: e.occurredAt.milliseconds)
        case .skipped(let e):
            let fraction = e.durationMillis > 0 ? min(Double(e.watchedMillis) / Double(e.durationMillis), 1) : 0
            impression(
                viewer: e.viewer, video: e.video, session: e.session, completed: false, fraction: fraction,
                at: e.occurredAt.milliseconds)
            played(e.video, by: e.viewer, fraction: fraction, completed: false, loops: 0)
            // A quick skip says more than a late one.
            engage(
                viewer: e.viewer, video: e.video, session: e.session, signal: Float(-0.6 + 0.5 * fraction),
                at: e.occurredAt.milliseconds)
        case .liked(let e): applyLike(e)
        case .unliked(let e):
            if var f = videos[e.video], f.likes > 0 {
                f.likes -= 1
                videos[e.video] = f
            }
        case .shared(let e): applyShare(e)
        case .notInterested(let e):
            engage(viewer: e.viewer, video: e.video, session: e.session, signal: -1.5, at: e.occurredAt.milliseconds)
        default: return
        }
    }

    private func applyLike(_ e: VideoLiked) {
        bump(e.video, \.likes)
        markPending(e.session, e.video) { $0.liked = true }
        remember(like: e.video, by: e.viewer)
        engage(viewer: e.viewer, video: e.video, session: e.session, signal: 1, at: e.occurredAt.milliseconds)
    }

    private func applyShare(_ e: VideoShared) {
        bump(e.video, \.shares)
        markPending(e.session, e.video) { $0.shared = true }
        remember(like: e.video, by: e.viewer)
        engage(viewer: e.viewer, video: e.video, session: e.session, signal: 1.5, at: e.occurredAt.milliseconds)
    }

    /// Engagement counts toward trending in the session's region and everywhere.
    private func noteTrending(_ video: UInt64, session: UInt64, weight: Double, at now: Int64) {
        guard weight > 0 else { return }
        let region = sessions[session]?.region ?? 0
        for r in region == 0 ? [UInt16(0)] : [region, 0] {
            trending[r, default: TrendingBoard()].add(video, weight: weight, at: now)
        }
    }

    private func publish(_ video: UInt64, at time: Int64) {
        guard var f = videos[video], !f.live else { return }
        var features: [(key: UInt64, weight: Float)] = f.tags.map { (Embedding.key(.hashtag, $0), 1) }
        if f.sound != 0 { features.append((Embedding.key(.sound, f.sound), 0.8)) }
        features.append((Embedding.key(.creator, f.creator), 0.8))
        features += f.words.map { (Embedding.key(.word, $0), 0.3) }
        learned.publish(video, features: features.map(\.key), at: time)
        reindexLearned(video, force: true)
        f.words = []
        f.live = true
        f.publishedAt = time
        videos[video] = f
        // `update`, not `insert`: a video restored after a takedown still has its (removed) node.
        index.update(Embedding.content(features), label: video)
        for t in f.tags { appendBounded(&byTag[t, default: []], video, Self.recentPerKey) }
        if f.sound != 0 { appendBounded(&bySound[f.sound, default: []], video, Self.recentPerKey) }
        appendBounded(&byCreator[f.creator, default: []], video, Self.recentPerKey)
        appendBounded(&fresh, video, Self.freshPool)
    }

    private func takeDown(_ video: UInt64) {
        guard var f = videos[video] else { return }
        f.live = false
        videos[video] = f
        index.remove(video)
        learned.takeDown(video)
        learnedIndex.remove(video)
        for t in f.tags.prefix(RankingFeatures.tagsPerVideo) { tagLeaders[t]?.removeAll { $0 == video } }
    }

    /// Erasure drops every per-viewer fact (vectors, follows, likes, sessions). Videos' collaborative sums keep
    /// the erased viewer's contribution only as part of an aggregate over many viewers.
    private func erase(_ user: UInt64) {
        users[user] = nil
        learned.erase(viewer: user)
        let theirs = sessions.filter { $0.value.viewer == user }.map(\.key)
        for s in theirs { sessions[s] = nil }
    }

    private func bump(_ video: UInt64?, _ field: WritableKeyPath<VideoFacts, UInt32>) {
        guard let video, var f = videos[video] else { return }
        f[keyPath: field] &+= 1
        videos[video] = f
    }

    private func markPending(_ session: UInt64, _ video: UInt64, _ change: (inout PendingImpression) -> Void) {
        guard var s = sessions[session], var p = s.pending, p.video == video else { return }
        change(&p)
        s.pending = p
        sessions[session] = s
    }

    private func remember(like video: UInt64, by viewer: UInt64) {
        var u = users[viewer] ?? UserFacts()
        u.recentLikes.removeAll { $0 == video }
        appendBounded(&u.recentLikes, video, Self.recentLikesKept)
        users[viewer] = u
    }

    /// A watch or skip: the session's previous impression is complete (learn from it); this one's features are
    /// taken now, before the event changes anything.
    private func impression(
        viewer: UInt64, video: UInt64, session: UInt64, completed: Bool, fraction: Double, at now: Int64
    ) {
        finishPending(of: session)
        impressionsFolded &+= 1
        guard var s = sessions[session], let f = videos[video] else { return }
        let affinity = RankingFeatures.affinity(
            model: self, viewer: viewer, session: session, video: video, facts: f, at: now)
        let features = RankingFeatures.hashed(viewer: viewer, video: video, facts: f, affinity: affinity, at: now)
        s.pending = PendingImpression(
            video: video, creator: f.creator, features: features, completed: completed, watchFraction: Float(fraction),
            margin: Float(RankingFeatures.margin(affinity)))
        sessions[session] = s
    }

    /// A watch or skip, after its impression's features are taken: the video's counts, the viewer's hashtag
    /// evidence, the video's place among its hashtags' leaders.
    private func played(_ video: UInt64, by viewer: UInt64, fraction: Double, completed: Bool, loops: UInt64) {
        learnTags(viewer: viewer, video: video, fraction: fraction)
        if var f = videos[video] {
            f.plays &+= 1
            if completed {
                f.completions &+= 1
                completedPlays &+= 1
                replays &+= min(loops, 10)
            }
            f.watchFractionSum += Float(fraction)
            videos[video] = f
        }
        promote(video)
    }

    /// Expected seconds watched per play: the smoothed mean watched fraction times the duration.
    public static func leaderScore(_ f: VideoFacts) -> Double {
        (Double(f.watchFractionSum) + 2 * Double(TagEvidence.prior)) / (Double(f.plays) + 2) * Double(f.durationMillis)
            / 1000
    }

    /// Moves a just-played video to its place among its hashtags' leaders (binary search over the list as
    /// ordered by each entry's current score: deterministic, and cheap enough to run on every play).
    private func promote(_ video: UInt64) {
        guard let f = videos[video], f.live else { return }
        let score = Self.leaderScore(f)
        for t in f.tags.prefix(RankingFeatures.tagsPerVideo) {
            var list = tagLeaders[t] ?? []
            list.removeAll { $0 == video }
            var lo = 0
            var hi = list.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if (videos[list[mid]].map(Self.leaderScore) ?? 0) >= score { lo = mid + 1 } else { hi = mid }
            }
            guard lo < Self.leadersPerTag else { continue }
            list.insert(video, at: lo)
            if list.count > Self.leadersPerTag { list.removeLast() }
            tagLeaders[t] = list
        }
    }

    /// The viewer's hashtag evidence after an impression (its features were taken before, by `impression`).
    private func learnTags(viewer: UInt64, video: UInt64, fraction: Double) {
        guard let f = videos[video], !f.tags.isEmpty else { return }
        var u = users[viewer] ?? UserFacts()
        for t in f.tags.prefix(RankingFeatures.tagsPerVideo) {
            u.tags[t, default: TagEvidence()].watched += Float(fraction)
            u.tags[t, default: TagEvidence()].impressions += 1
        }
        while u.tags.count > Self.tagsKeptPerViewer {
            // The least seen, then the highest id: a total order, so every replay evicts the same one.
            let least = u.tags.min { a, b in
                a.value.impressions != b.value.impressions ? a.value.impressions < b.value.impressions : a.key > b.key
            }!
            u.tags[least.key] = nil
        }
        users[viewer] = u
    }

    /// Progressive validation, then learning, for every task of a finished impression.
    private func finishPending(of session: UInt64) {
        guard var s = sessions[session], let p = s.pending else { return }
        s.pending = nil
        sessions[session] = s
        let labels = [p.completed, p.liked, p.shared, p.followed].map { $0 ? 1.0 : 0.0 } + [Double(p.watchFraction)]
        let own = heads[Self.watchTask].weight(of: RankingFeatures.key(.video, p.video))
        for t in heads.indices {
            let prediction = heads[t].learn(p.features, label: labels[t], margin: Double(p.margin))
            validation[t].record(prediction: prediction, label: labels[t])
            if t == Self.watchTask, var f = videos[p.video] {
                // The lift is measured against the prediction without the video's own weight: that weight
                // learns the video's quality from its first plays, and a prediction that already knows it
                // would leave every video's lift near zero.
                let blind = 1 / (1 + exp(own - log(max(prediction, 1e-9) / max(1 - prediction, 1e-9))))
                f.liftSum += Float(labels[t] - blind)
                f.lifted &+= 1
                videos[p.video] = f
            }
        }
    }

    /// Moves the viewer's long-term and session vectors toward (or away from) the video, and the video's
    /// collaborative part toward the viewer.
    private func engage(viewer: UInt64, video: UInt64, session: UInt64, signal: Float, at now: Int64) {
        learned.learn(viewer: viewer, video: video, weight: signal, at: now)
        reindexLearned(video)
        guard let v = vector(of: video) else { return }
        var u = users[viewer] ?? UserFacts()
        if u.longTerm.isEmpty { u.longTerm = [Float](repeating: 0, count: Embedding.dimension) }
        Embedding.scale(&u.longTerm, Self.decay(from: u.updatedAt, to: now, halfLife: Self.longTermHalfLife))
        Embedding.add(&u.longTerm, v, weight: signal)
        u.updatedAt = max(u.updatedAt, now)
        if signal > 0, var f = videos[video] {
            var unit = u.longTerm
            Embedding.normalise(&unit)
            if f.collaborative.isEmpty { f.collaborative = [Float](repeating: 0, count: Embedding.dimension) }
            Embedding.add(&f.collaborative, unit, weight: signal)
            f.collaborativeWeight += signal
            videos[video] = f
        }
        users[viewer] = u
        guard var s = sessions[session] else { return }
        if s.vector.isEmpty { s.vector = [Float](repeating: 0, count: Embedding.dimension) }
        Embedding.scale(&s.vector, Self.decay(from: s.updatedAt, to: now, halfLife: Self.sessionHalfLife))
        Embedding.add(&s.vector, v, weight: signal)
        s.updatedAt = max(s.updatedAt, now)
        sessions[session] = s
    }
}

extension RecommenderModel {
    /// Puts a live video's learned vector in the learned index when it is not there, or when it has turned
    /// enough and its engagements have doubled since it was indexed (so a video is re-indexed about log2 of its
    /// engagements times, each leaving one removed node).
    func reindexLearned(_ video: UInt64, force: Bool = false) {
        guard videos[video]?.live ?? false else { return }
        let engaged = learnedEngagements[video, default: 0] &+ 1
        learnedEngagements[video] = engaged
        if !force, engaged < 2 * (learnedIndexedAt[video] ?? 0) { return }
        guard var q = learned.vector(of: video), Embedding.norm(q) > 0 else { return }
        Embedding.normalise(&q)
        if !force, learnedIndex.contains(video) {
            let cosine = learnedIndex.withVector(of: video) { indexed in
                q.withUnsafeBufferPointer { VectorKernels.dot($0.baseAddress!, indexed, paddedDim: CollaborativeModel.dimension) }
            } ?? 0
            if cosine >= Self.learnedReindexCosine { return }
        }
        learnedIndex.update(q, label: video)
        learnedIndexedAt[video] = engaged
    }
}

func appendBounded(_ list: inout [UInt64], _ id: UInt64, _ bound: Int) {
    list.append(id)
    if list.count > bound { list.removeFirst(list.count - bound) }
}

extension CreatorFollowed {
    /// The video the follow came from, when it was the session's pending impression's creator.
    func video(in model: RecommenderModel) -> UInt64? {
        guard let p = model.sessions[session]?.pending, p.creator == creator else { return nil }
        return p.video
    }
}
