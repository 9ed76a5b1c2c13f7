import Foundation
import ReelDomain
import ReelJournal
import ReelRecommend
import ReelWorkloads

/// `reel eval`: time-ordered leave-last-out over the whole catalogue. Replays recorded events in time order;
/// for each user with at least 5 positive interactions (completed or liked), at the moment of their last
/// positive one, every ranker ranks the whole catalogue published by then minus what the user already
/// interacted with (no sampled negatives); then the event is applied and the replay goes on. So every ranker
/// knows exactly the past, and all are judged on the same targets in one run.
///
/// Figures per ranker: NDCG@10, Recall@10 and HR@10 (with one held-out item per user, recall and hit rate
/// are the same number; both are reported because the literature uses both names), each with a 95 %
/// bootstrap interval over users. Also the progressive AUC of the reel ranker's score for completion and
/// like: each impression scored with what was known before it.
public struct OfflineEvaluation {
    /// A ranker sees events in time order (`learn`) and scores candidates for a user at a moment.
    public protocol Ranker: AnyObject {
        var name: String { get }
        /// One score per candidate, higher is better; called with time never going back.
        func scores(_ candidates: [UInt64], user: UInt64, at time: Int64) -> [Double]
        func learn(_ e: Interaction)
    }

    /// One recorded event, in time order: an engagement (watch, skip or like) or, with `isEngagement` false, an
    /// event only the recommender's model learns from (catalogue, sessions, follows, shares).
    public struct Interaction: Sendable {
        public var user: UInt64
        public var video: UInt64
        /// occurredAt, ms.
        public var time: Int64
        public var completed: Bool
        public var liked: Bool
        /// A play or a skip (an impression).
        public var watched: Bool
        public var skipped = false
        public var isEngagement = true
        /// The journal's event, for the recommender's model (nil in hand-made tests: one is made up).
        public var event: ReelEvent? = nil

        public init(user: UInt64, video: UInt64, time: Int64, completed: Bool, liked: Bool, watched: Bool) {
            self.user = user
            self.video = video
            self.time = time
            self.completed = completed
            self.liked = liked
            self.watched = watched
        }
        var positive: Bool { isEngagement && (completed || liked) }
    }

    /// A figure with its 95 % bootstrap interval.
    public struct Estimate: Sendable, Hashable {
        public var value: Double
        public var low: Double
        public var high: Double
        var json: JSONValue { .object([("value", .double(value)), ("low", .double(low)), ("high", .double(high))]) }
    }

    public struct Metrics: Sendable {
        public var ndcgAt10: Estimate
        public var recallAt10: Estimate
        public var hitRateAt10: Estimate
    }

    public struct Report: Sendable {
        public var users = 0
        public var interactions = 0
        public var catalogue = 0
        public var rankers: [(String, Metrics)] = []
        public var auc: [(String, Double)] = []
        public var seconds = 0.0
        /// The reel model's learned weights of popularity, age and co-engagement (what the data taught it).
        public var learnedWeights: [Double] = []
        public var json: JSONValue {
            let rows: [(String, JSONValue)] = rankers.map { name, m in
                (name, .object([("ndcgAt10", m.ndcgAt10.json), ("recallAt10", m.recallAt10.json), ("hitRateAt10", m.hitRateAt10.json)]))
            }
            return .object([
                ("protocol", .string("time-ordered leave-last-out, whole catalogue minus seen, 95 % bootstrap over users")),
                ("users", .int(Int64(users))), ("interactions", .int(Int64(interactions))), ("catalogue", .int(Int64(catalogue))),
                ("rankers", .object(rows)), ("auc", .object(auc.map { ($0.0, .double($0.1)) })), ("seconds", .double(seconds)),
                ("learnedWeights", .object(zip(CollaborativeModel.weightNames, learnedWeights).map { ($0, .double($1)) })),
            ])
        }
        /// A readable table, best NDCG first.
        public var table: String {
            var out = "users with at least 5 positives: \(users), interactions: \(interactions), catalogue: \(catalogue)\n"
            out += "ranker          NDCG@10 [95 %]              HR@10 = Recall@10 [95 %]\n"
            for (name, m) in rankers.sorted(by: { $0.1.ndcgAt10.value > $1.1.ndcgAt10.value }) {
                func f(_ e: Estimate) -> String { String(format: "%.4f [%.4f, %.4f]", e.value, e.low, e.high) }
                out += name.padding(toLength: 16, withPad: " ", startingAt: 0) + f(m.ndcgAt10) + "    " + f(m.hitRateAt10) + "\n"
            }
            out += "auc: " + auc.map { "\($0.0) \(String(format: "%.4f", $0.1))" }.joined(separator: ", ")
            return out
        }
    }

    /// The split every ranker is judged on: the time-ordered events, the targets (indexes into them) and the
    /// catalogue's publication times. `export` writes it for peers outside Reel.
    public struct Split: Sendable {
        public var interactions: [Interaction]
        public var published: [UInt64: Int64]
        public var targets: Set<Int>
    }

    /// The targets: for each user with at least `minimumPositives` distinct videos they completed or liked, the
    /// last such video, judged at the user's first event with it (a rating imported as a watch and a like is
    /// two events at one moment; judging at the like would let every ranker learn the watch first).
    public static func split(interactions: [Interaction], published: [UInt64: Int64], minimumPositives: Int = 5) -> Split {
        struct Pair: Hashable {
            var user: UInt64
            var video: UInt64
        }
        var first: [Pair: Int] = [:]
        var positiveVideos: [UInt64: Set<UInt64>] = [:]
        var lastPositive: [UInt64: UInt64] = [:]
        for (i, e) in interactions.enumerated() where e.isEngagement {
            let pair = Pair(user: e.user, video: e.video)
            if first[pair] == nil { first[pair] = i }
            guard e.positive else { continue }
            positiveVideos[e.user, default: []].insert(e.video)
            lastPositive[e.user] = e.video
        }
        let targets = Set(
            lastPositive.filter { positiveVideos[$0.key]!.count >= minimumPositives }.map { first[Pair(user: $0.key, video: $0.value)]! })
        return Split(interactions: interactions, published: published, targets: targets)
    }

    /// Reel's rankers and the baselines beside it.
    public static func standardRankers(seed: UInt64) -> [any Ranker] {
        let reel = ModelRanker()
        return [reel, LearnedAffinityRanker(reading: reel), PopularRanker(), RecentPopularRanker(), ItemKNNRanker(), TrendingRanker(), RandomRanker(seed: seed)]
    }

    public static func run(interactions: [Interaction], published: [UInt64: Int64], seed: UInt64 = 1, rankers: [any Ranker]? = nil) -> Report {
        let started = ContinuousClock.now
        let split = split(interactions: interactions, published: published)
        let rankers = rankers ?? standardRankers(seed: seed)
        let catalogue = published.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        var interacted: [UInt64: Set<UInt64>] = [:]
        var ranks = [[Double]](repeating: [], count: rankers.count)
        var completion: [(Double, Bool)] = [], like: [(Double, Bool)] = []
        let reel = rankers.first { $0.name == "reel" }
        var available = 0
        for (i, e) in interactions.enumerated() {
            if split.targets.contains(i) {
                while available < catalogue.count && catalogue[available].value <= e.time { available += 1 }
                let seen = interacted[e.user] ?? []
                let candidates = catalogue.prefix(available).lazy.map(\.key).filter { !seen.contains($0) && $0 != e.video }
                let all = [e.video] + candidates
                // Rankers only read here: score them side by side.
                let scored = sideBySide(rankers) { $0.scores(all, user: e.user, at: e.time) }
                for k in rankers.indices { ranks[k].append(rank(of: 0, in: scored[k])) }
            }
            if e.isEngagement, let reel {
                if e.watched { completion.append((reel.scores([e.video], user: e.user, at: e.time)[0], e.completed)) }
                if e.liked || e.watched { like.append((reel.scores([e.video], user: e.user, at: e.time)[0], e.liked)) }
            }
            for r in rankers { r.learn(e) }
            if e.isEngagement { interacted[e.user, default: []].insert(e.video) }
        }
        var report = Report(users: split.targets.count, interactions: interactions.filter(\.isEngagement).count, catalogue: published.count)
        for (k, r) in rankers.enumerated() { report.rankers.append((r.name, metrics(ranks: ranks[k], seed: seed))) }
        report.auc = [("completion", auc(completion)), ("like", auc(like))]
        if let m = (rankers.first as? ModelRanker)?.model {
            report.learnedWeights = m.learned.weights.map(Double.init)
        }
        let elapsed = (ContinuousClock.now - started).components
        report.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return report
    }

    /// `body` for every ranker, on as many threads as there are cores: each ranker is used by one thread, and
    /// the results are written to distinct slots.
    static func sideBySide(_ rankers: [any Ranker], _ body: @escaping (any Ranker) -> [Double]) -> [[Double]] {
        let out = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: rankers.count)
        out.initialize(repeating: [])
        defer {
            _ = out.deinitialize()
            out.deallocate()
        }
        nonisolated(unsafe) let slots = out
        nonisolated(unsafe) let each = rankers
        nonisolated(unsafe) let score = body
        DispatchQueue.concurrentPerform(iterations: rankers.count) { k in slots[k] = score(each[k]) }
        return Array(out)
    }

    /// Rank (1-based) of `scores[target]`: 1 + candidates scored higher, ties counted half, so no ranker wins by
    /// the order ties happen to be broken in.
    static func rank(of target: Int, in scores: [Double]) -> Double {
        let s = scores[target]
        var higher = 0.0
        for (i, x) in scores.enumerated() where i != target {
            if x > s { higher += 1 } else if x == s { higher += 0.5 }
        }
        return 1 + higher
    }

    static func ndcg(_ rank: Double) -> Double { rank <= 10 ? 1 / log2(rank + 1) : 0 }
    static func hit(_ rank: Double) -> Double { rank <= 10 ? 1 : 0 }

    /// The means over users, and 95 % percentile intervals from 1,000 bootstrap resamples of the users (seeded).
    static func metrics(ranks: [Double], seed: UInt64, resamples: Int = 1000) -> Metrics {
        let n = ranks.count
        let gains = ranks.map(ndcg), hits = ranks.map(hit)
        func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }
        var g = SplitMix64(seed: SplitMix64.mix(seed, 0xB007))
        var bootG: [Double] = [], bootH: [Double] = []
        if n > 0 {
            for _ in 0..<resamples {
                var sg = 0.0, sh = 0.0
                for _ in 0..<n {
                    let i = g.below(n)
                    sg += gains[i]
                    sh += hits[i]
                }
                bootG.append(sg / Double(n))
                bootH.append(sh / Double(n))
            }
        }
        func estimate(_ v: Double, _ boot: [Double]) -> Estimate {
            guard !boot.isEmpty else { return Estimate(value: v, low: v, high: v) }
            let s = boot.sorted()
            return Estimate(value: v, low: s[Int(Double(s.count - 1) * 0.025)], high: s[Int((Double(s.count - 1) * 0.975).rounded(.up))])
        }
        let h = estimate(mean(hits), bootH)
        return Metrics(ndcgAt10: estimate(mean(gains), bootG), recallAt10: h, hitRateAt10: h)
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
