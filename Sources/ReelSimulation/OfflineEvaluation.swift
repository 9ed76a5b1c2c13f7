import Foundation
import ReelDomain
import ReelJournal
import ReelRecommend
import ReelWorkloads

/// `reel eval`: replays recorded interactions in time order and, for each user with at least 5 positive
/// interactions, asks each ranker at the moment of the user's last positive one to rank the whole catalogue
/// minus what the user already interacted with (no sampled negatives), then applies the event and goes on.
/// Also the progressive AUC of the reel ranker's score for completion and like: each impression scored with
/// what was known before it, then learned.
public struct OfflineEvaluation {
    /// A ranker sees events in time order (`learn`) and scores videos for a user at a moment.
    public protocol Ranker: AnyObject {
        var name: String { get }
        func score(video: UInt64, user: UInt64, at time: Int64) -> Double
        func learn(_ e: Interaction)
    }

    /// One recorded engagement, reduced to what evaluation needs.
    public struct Interaction: Sendable {
        public var user: UInt64
        public var video: UInt64
        /// occurredAt, ms.
        public var time: Int64
        public var completed: Bool
        public var liked: Bool
        public var watched: Bool
        var positive: Bool { completed || liked }
    }

    public struct Metrics: Sendable { public var ndcgAt10 = 0.0, recallAt10 = 0.0 }

    public struct Report: Sendable {
        public var users = 0
        public var interactions = 0
        public var rankers: [(String, Metrics)] = []
        public var auc: [(String, Double)] = []
        public var json: JSONValue {
            var fields: [(String, JSONValue)] = [("users", .int(Int64(users))), ("interactions", .int(Int64(interactions)))]
            for (name, m) in rankers { fields.append((name, .object([("ndcgAt10", .double(m.ndcgAt10)), ("recallAt10", .double(m.recallAt10))]))) }
            fields.append(("auc", .object(auc.map { ($0.0, .double($0.1)) })))
            fields.append(("reelRanker", .string("pipeline")))
            return .object(fields)
        }
    }

    /// Reads the interactions and the catalogue's publication times from a journal.
    public static func load(_ journal: Journal) throws -> (interactions: [Interaction], published: [UInt64: Int64], catalogue: [ReelEvent]) {
        var out: [Interaction] = []
        var published: [UInt64: Int64] = [:]
        var catalogue: [ReelEvent] = []
        var cursor = journal.events(from: 0, to: journal.nextPosition)
        while let recorded = try cursor.next() {
            var r = recorded
            try EventCatalog.upcasters.upcast(&r)
            switch try ReelEvent.decode(r) {
            case .watched(let w): out.append(Interaction(user: w.viewer, video: w.video, time: w.occurredAt.milliseconds, completed: w.completed, liked: false, watched: true))
            case .skipped(let s): out.append(Interaction(user: s.viewer, video: s.video, time: s.occurredAt.milliseconds, completed: false, liked: false, watched: true))
            case .liked(let l): out.append(Interaction(user: l.viewer, video: l.video, time: l.occurredAt.milliseconds, completed: false, liked: true, watched: false))
            case .published(let p):
                published[p.video] = p.occurredAt.milliseconds
                catalogue.append(.published(p))
            case .some(let e):
                switch e {
                case .uploadCompleted, .processingSucceeded, .rejected, .removed: catalogue.append(e)
                default: break
                }
            default: break
            }
        }
        // Time order; ties keep journal order (the sort is stable).
        return (out.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element), published, catalogue)
    }

    public static func run(interactions: [Interaction], published: [UInt64: Int64], catalogue: [ReelEvent] = [], seed: UInt64 = 1) -> Report {
        let rankers: [any Ranker] = [ModelRanker(catalogue: catalogue), TrendingRanker(), RandomRanker(seed: seed), PopularRanker()]
        // The moment of each qualifying user's last positive interaction.
        var positives: [UInt64: Int] = [:]
        var lastPositive: [UInt64: Int] = [:]
        for (i, e) in interactions.enumerated() where e.positive {
            positives[e.user, default: 0] += 1
            lastPositive[e.user] = i
        }
        let targets = Set(lastPositive.filter { positives[$0.key]! >= 5 }.map(\.value))
        let catalogue = published.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        var interacted: [UInt64: Set<UInt64>] = [:]
        var sums = [Metrics](repeating: Metrics(), count: rankers.count)
        var completion: [(Double, Bool)] = [], like: [(Double, Bool)] = []
        let reel = rankers[0]
        for (i, e) in interactions.enumerated() {
            if targets.contains(i) {
                let seen = interacted[e.user] ?? []
                let candidates = catalogue.prefix { $0.value <= e.time }.map(\.key).filter { !seen.contains($0) || $0 == e.video }
                for (k, ranker) in rankers.enumerated() {
                    let target = ranker.score(video: e.video, user: e.user, at: e.time)
                    // Rank = 1 + candidates scored higher (ties count half: no ranker wins by tie order).
                    var higher = 0.0
                    for v in candidates where v != e.video {
                        let s = ranker.score(video: v, user: e.user, at: e.time)
                        if s > target { higher += 1 } else if s == target { higher += 0.5 }
                    }
                    let rank = 1 + higher
                    if rank <= 10 {
                        sums[k].ndcgAt10 += 1 / log2(rank + 1)
                        sums[k].recallAt10 += 1
                    }
                }
            }
            if e.watched {
                let s = reel.score(video: e.video, user: e.user, at: e.time)
                completion.append((s, e.completed))
            }
            if e.liked || e.watched {
                like.append((reel.score(video: e.video, user: e.user, at: e.time), e.liked))
            }
            for r in rankers { r.learn(e) }
            interacted[e.user, default: []].insert(e.video)
        }
        var report = Report(users: targets.count, interactions: interactions.count)
        let n = Double(max(1, targets.count))
        for (k, r) in rankers.enumerated() {
            report.rankers.append((r.name, Metrics(ndcgAt10: sums[k].ndcgAt10 / n, recallAt10: sums[k].recallAt10 / n)))
        }
        report.auc = [("completion", auc(completion)), ("like", auc(like))]
        return report
    }

    /// Area under the ROC curve by ranks (ties averaged); 0.5 when one class is missing.
    static func auc(_ scored: [(Double, Bool)]) -> Double {
        let positives = scored.filter(\.1).count, negatives = scored.count - positives
        guard positives > 0, negatives > 0 else { return 0.5 }
        let sorted = scored.sorted { $0.0 < $1.0 }
        var rankSum = 0.0
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1].0 == sorted[i].0 { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where sorted[k].1 { rankSum += averageRank }
            i = j + 1
        }
        return (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }
}

/// The recommender's ranker (stage 3 of the pipeline) over a model fed the catalogue and, in time order, each
/// interaction as a watch or like in one session per user.
final class ModelRanker: OfflineEvaluation.Ranker {
    let name = "reel"
    private let model = RecommenderModel()
    private var sessions: Set<UInt64> = []

    init(catalogue: [ReelEvent]) { for e in catalogue { model.apply(e) } }

    func score(video: UInt64, user: UInt64, at time: Int64) -> Double {
        FeedPipeline.utility(model: model, viewer: user, session: user, video: video, at: time) ?? -1
    }

    func learn(_ e: OfflineEvaluation.Interaction) {
        let at = Timestamp(microseconds: e.time * 1000)
        if sessions.insert(e.user).inserted {
            model.apply(.sessionStarted(SessionStarted(session: e.user, viewer: e.user, region: "", language: "", device: "", network: "", occurredAt: at)))
        }
        let duration = model.videos[e.video]?.durationMillis ?? 10_000
        if e.watched {
            // The recorded interaction says watched and whether completed; half a play stands for the rest.
            let watch = e.completed ? duration : duration / 2
            model.apply(.watched(VideoWatched(viewer: e.user, video: e.video, session: e.user, watchMillis: watch, durationMillis: duration, loops: 0, completed: e.completed, occurredAt: at)))
        }
        if e.liked {
            let creator = model.videos[e.video]?.creator ?? 0
            model.apply(.liked(VideoLiked(viewer: e.user, video: e.video, session: e.user, creator: creator, occurredAt: at)))
        }
    }
}

/// What the engine's feed falls back to: engagement decayed with a one-day half-life.
final class TrendingRanker: OfflineEvaluation.Ranker {
    let name = "trending"
    private var scores: [UInt64: (value: Double, time: Int64)] = [:]
    static let halfLifeMillis = 86_400_000.0
    func score(video: UInt64, user: UInt64, at time: Int64) -> Double {
        guard let s = scores[video] else { return 0 }
        return s.value * pow(0.5, Double(time - s.time) / Self.halfLifeMillis)
    }
    func learn(_ e: OfflineEvaluation.Interaction) {
        let weight = (e.watched ? 1.0 : 0) + (e.completed ? 1 : 0) + (e.liked ? 2 : 0)
        scores[e.video] = (score(video: e.video, user: e.user, at: e.time) + weight, e.time)
    }
}

/// A fixed random score per (user, video): a random order that does not change between calls.
final class RandomRanker: OfflineEvaluation.Ranker {
    let name = "random"
    let seed: UInt64
    init(seed: UInt64) { self.seed = seed }
    func score(video: UInt64, user: UInt64, at time: Int64) -> Double {
        Double(SplitMix64.mix(seed ^ user &* 0x9E37_79B9_7F4A_7C15, video) >> 11)
    }
    func learn(_ e: OfflineEvaluation.Interaction) {}
}

/// Most watched so far.
final class PopularRanker: OfflineEvaluation.Ranker {
    let name = "popular"
    private var views: [UInt64: Int] = [:]
    func score(video: UInt64, user: UInt64, at time: Int64) -> Double { Double(views[video] ?? 0) }
    func learn(_ e: OfflineEvaluation.Interaction) { if e.watched { views[e.video, default: 0] += 1 } }
}
