import Foundation
import ReelDomain
import ReelJournal
import ReelRecommend

/// The recommender's ranker (stage 3 of the pipeline, `FeedPipeline.utilities`) over a `RecommenderModel`
/// fed the journal's events in time order: exactly what the engine's model would have folded by then.
final class ModelRanker: OfflineEvaluation.Ranker {
    let name = "reel"
    let model = RecommenderModel()
    /// Each viewer's latest session (the model's session vector is per session).
    private var sessionOf: [UInt64: UInt64] = [:]

    func scores(_ candidates: [UInt64], user: UInt64, at time: Int64) -> [Double] {
        FeedPipeline.utilities(model: model, viewer: user, session: sessionOf[user] ?? user, videos: candidates, at: time).map { $0 ?? -1 }
    }

    func learn(_ e: OfflineEvaluation.Interaction) {
        if let event = e.event {
            if case .sessionStarted(let s) = event { sessionOf[s.viewer] = s.session }
            model.apply(event)
            return
        }
        // A hand-made interaction: one session per user, half a play standing for an incomplete watch.
        let at = Timestamp(microseconds: e.time * 1000)
        if sessionOf[e.user] == nil {
            sessionOf[e.user] = e.user
            model.apply(.sessionStarted(SessionStarted(session: e.user, viewer: e.user, region: "", language: "", device: "", network: "", occurredAt: at)))
        }
        let duration = model.videos[e.video]?.durationMillis ?? 10_000
        if e.watched {
            let watch = e.completed ? duration : e.skipped ? 0 : duration / 2
            model.apply(.watched(VideoWatched(viewer: e.user, video: e.video, session: e.user, watchMillis: watch, durationMillis: duration, loops: 0, completed: e.completed, occurredAt: at)))
        }
        if e.liked {
            model.apply(.liked(VideoLiked(viewer: e.user, video: e.video, session: e.user, creator: model.videos[e.video]?.creator ?? 0, occurredAt: at)))
        }
    }
}

/// The learned collaborative affinity alone (`CollaborativeModel`, reading the reel ranker's model): how much
/// of reel's figure the learned embeddings carry.
final class LearnedAffinityRanker: OfflineEvaluation.Ranker {
    let name = "reel.learned"
    let source: ModelRanker
    init(reading source: ModelRanker) { self.source = source }
    func scores(_ candidates: [UInt64], user: UInt64, at time: Int64) -> [Double] {
        let learned = source.model.learned
        let context = learned.context(of: user)
        return candidates.map { Double(learned.affinity(context: context, video: $0, at: time) ?? -.infinity) }
    }
    func learn(_ e: OfflineEvaluation.Interaction) {}
}

/// Most interactions (plays and skips) so far.
final class PopularRanker: OfflineEvaluation.Ranker {
    let name = "popular"
    private var views: [UInt64: Int] = [:]
    func scores(_ candidates: [UInt64], user: UInt64, at time: Int64) -> [Double] { candidates.map { Double(views[$0] ?? 0) } }
    func learn(_ e: OfflineEvaluation.Interaction) { if e.isEngagement && e.watched { views[e.video, default: 0] += 1 } }
}

/// Most interactions in the last seven days.
final class RecentPopularRanker: OfflineEvaluation.Ranker {
    let name = "popular.7d"
    static let windowMillis: Int64 = 7 * 86_400_000
    private var times: [UInt64: [Int64]] = [:]
    /// Per video, how many of `times` fell out of the window (times only grow, so a cursor suffices).
    private var expired: [UInt64: Int] = [:]
    func scores(_ candidates: [UInt64], user: UInt64, at time: Int64) -> [Double] {
        candidates.map { v in
            guard let t = times[v] else { return 0 }
            var gone = expired[v] ?? 0
            while gone < t.count && t[gone] < time - Self.windowMillis { gone += 1 }
            expired[v] = gone
            return Double(t.count - gone)
        }
    }
    func learn(_ e: OfflineEvaluation.Interaction) { if e.isEngagement && e.watched { times[e.video, default: []].append(e.time) } }
}

/// Item-based nearest neighbours (Sarwar et al. 2001; Deshpande and Karypis 2004): a video's score is the sum
/// of its cosine similarities, over co-engagement, to everything the user engaged with. Engagement is a play
/// that was not a skip; co-engagement counts users who engaged with both.
final class ItemKNNRanker: OfflineEvaluation.Ranker {
    let name = "itemKNN"
    private var history: [UInt64: [UInt64]] = [:]
    private var engaged: [UInt64: Set<UInt64>] = [:]
    private var count: [UInt64: Double] = [:]
    private var together: [UInt64: [UInt64: Double]] = [:]

    func scores(_ candidates: [UInt64], user: UInt64, at time: Int64) -> [Double] {
        var acc: [UInt64: Double] = [:]
        for j in history[user] ?? [] {
            let nj = count[j] ?? 1
            for (i, c) in together[j] ?? [:] { acc[i, default: 0] += c / (nj * (count[i] ?? 1)).squareRoot() }
        }
        return candidates.map { acc[$0] ?? 0 }
    }

    func learn(_ e: OfflineEvaluation.Interaction) {
        guard e.isEngagement, e.watched, !e.skipped, engaged[e.user, default: []].insert(e.video).inserted else { return }
        for j in history[e.user] ?? [] {
            together[e.video, default: [:]][j, default: 0] += 1
            together[j, default: [:]][e.video, default: 0] += 1
        }
        history[e.user, default: []].append(e.video)
        count[e.video, default: 0] += 1
    }
}

/// What the engine's feed falls back to: engagement decayed with a one-day half-life.
final class TrendingRanker: OfflineEvaluation.Ranker {
    let name = "trending"
    private var scores: [UInt64: (value: Double, time: Int64)] = [:]
    static let halfLifeMillis = 86_400_000.0
    private func score(_ video: UInt64, at time: Int64) -> Double {
        guard let s = scores[video] else { return 0 }
        return s.value * pow(0.5, Double(time - s.time) / Self.halfLifeMillis)
    }
    func scores(_ candidates: [UInt64], user: UInt64, at time: Int64) -> [Double] { candidates.map { score($0, at: time) } }
    func learn(_ e: OfflineEvaluation.Interaction) {
        guard e.isEngagement else { return }
        let weight = (e.watched && !e.skipped ? 1.0 : 0) + (e.completed ? 1 : 0) + (e.liked ? 2 : 0)
        scores[e.video] = (score(e.video, at: e.time) + weight, e.time)
    }
}

/// A fixed random score per (user, video): a random order that does not change between calls.
final class RandomRanker: OfflineEvaluation.Ranker {
    let name = "random"
    let seed: UInt64
    init(seed: UInt64) { self.seed = seed }
    func scores(_ candidates: [UInt64], user: UInt64, at time: Int64) -> [Double] {
        candidates.map { Double(SplitMix64.mix(seed ^ user &* 0x9E37_79B9_7F4A_7C15, $0) >> 11) }
    }
    func learn(_ e: OfflineEvaluation.Interaction) {}
}
