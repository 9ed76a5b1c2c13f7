import Foundation
import ReelDomain
import ReelJournal
import ReelViews

/// What a feed page is asked for.
public struct FeedRequest: Sendable {
    public var viewer: UInt64
    /// The viewing session (its short-term vector); 0 when none.
    public var sessionID: UInt64 = 0
    /// Videos this session was served already (the views' seen list covers earlier sessions).
    public var recentlyServed: [UInt64]
    public var count: Int
    public var at: Timestamp
    /// Every random draw of this page comes from it (recorded in `FeedServed`).
    public var seed: UInt64

    public init(viewer: UInt64, sessionID: UInt64 = 0, recentlyServed: [UInt64], count: Int, at: Timestamp, seed: UInt64) {
        self.viewer = viewer
        self.sessionID = sessionID
        self.recentlyServed = recentlyServed
        self.count = count
        self.at = at
        self.seed = seed
    }
}

/// The first recommender: scores every published, unseen video by how well its hashtags, creator and sound
/// match the viewer's long-term and session interest (views folded from what they watched, completed, looped,
/// liked, shared and skipped), plus a Thompson-sampled completion rate (exploration for new videos comes from
/// the width of that posterior) and a bonus for followed creators; then re-ranks for diversity.
///
/// Deterministic for given views, request and seed. Scans the whole catalogue: the ANN index and learned
/// ranking of issue 7 replace the scan and the fixed weights (see `Docs/Architecture.md`).
public enum InterestRanker {
    /// Fixed weights of the first version (the learned ranker replaces them).
    public struct Weights: Sendable {
        public var longTerm = 1.0
        public var session = 2.0
        public var quality = 1.5
        public var followed = 0.5
        /// Of every `exploreEvery` items, one is an exploration slot for a new video (0: none).
        public var exploreEvery = 5
        public init() {}
    }

    /// A video is "new" (eligible for exploration slots) below this many plays and this age.
    public static let exploreMaxPlays: UInt64 = 50
    public static let exploreMaxAgeMillis: Int64 = 86_400_000

    /// Creators and sounds do not repeat within this many items, main hashtags within `tagWindow`.
    public static let creatorWindow = 5
    public static let tagWindow = 2

    /// The page, or nil when `deadline` passed first (the caller falls back and says so).
    public static func select(in store: ViewStore, _ r: FeedRequest, weights: Weights = Weights(), deadline: ContinuousClock.Instant? = nil)
        -> [FeedItem]?
    {
        let state = store.state
        let seen = state.seen[r.viewer]
        let blocked = state.blocked[r.viewer]
        let following = state.following[r.viewer]
        let excluded = Set(r.recentlyServed)
        let now = r.at.milliseconds
        let longTerm = normalised(state.longTermInterest[r.viewer], at: now, halfLife: ViewState.longTermHalfLifeMillis)
        let session = normalised(state.sessionInterest[r.viewer], at: now, halfLife: ViewState.sessionHalfLifeMillis)
        var g = SplitMix64(seed: r.seed)

        struct Scored {
            var video: UInt64, creator: UInt64, sound: UInt64, mainTag: UInt64
            var score: Double, longTerm: Double, session: Double, quality: Double, followed: Bool, plays: UInt64
            var explore = false
        }
        // The deterministic part first; the Thompson sample (at most `weights.quality`) is drawn only for videos
        // that could still reach the best `need`, in a fixed order, so a replay draws the same numbers.
        var candidates: [Scored] = []
        // Visit order does not matter: candidates are sorted by (score, id) before any random draw.
        state.videos.forEachUnordered { id, v in
            guard v.videoStatus == .published, !excluded.contains(id), !(seen?.contains(id) ?? false), !(blocked?.contains(v.creator) ?? false)
            else { return }
            var features = v.hashtags.map { ViewKey.feature(.hashtag, ViewKey.hashtag($0)) }
            features.append(ViewKey.feature(.creator, v.creator))
            if v.sound != 0 { features.append(ViewKey.feature(.sound, v.sound)) }
            let lt = features.reduce(0) { $0 + (longTerm[$1] ?? 0) }
            let st = features.reduce(0) { $0 + (session[$1] ?? 0) }
            let followed = following?.contains(v.creator) ?? false
            let base = weights.longTerm * lt + weights.session * st + (followed ? weights.followed : 0)
            candidates.append(Scored(video: id, creator: v.creator, sound: v.sound, mainTag: v.hashtags.first.map { ViewKey.hashtag($0) } ?? 0, score: base, longTerm: lt,
                                     session: st, quality: 0, followed: followed, plays: state.videoCounters[id]?.plays ?? 0))
        }
        candidates.sort { $0.score != $1.score ? $0.score > $1.score : $0.video < $1.video }
        let need = r.count * 4 + 8
        var scored: [Scored] = []
        var threshold = -Double.infinity
        for (i, var c) in candidates.enumerated() {
            if scored.count >= need && c.score + weights.quality < threshold { break }
            if let deadline, i & 255 == 0, ContinuousClock.now > deadline { return nil }
            let counters = state.videoCounters[c.video]
            let plays = counters?.plays ?? 0
            let completions = min(counters?.completions ?? 0, plays)
            // Thompson sample of the completion rate under a Beta(1, 2) prior.
            c.quality = g.beta(Double(completions) + 1, Double(plays - completions) + 2)
            c.score += weights.quality * c.quality
            scored.append(c)
            if scored.count >= need {
                scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.video < $1.video }
                scored.removeLast(scored.count - need)
                threshold = scored[need - 1].score
            }
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.video < $1.video }

        // Exploration slots: new videos (few plays, recently published) by a Thompson sample of their
        // completion rate, from their own seed so the main ranking's draws do not depend on them.
        let slots = weights.exploreEvery > 0 ? r.count / weights.exploreEvery : 0
        var explore: [Scored] = []
        if slots > 0 {
            var ge = SplitMix64(seed: SplitMix64.mix(r.seed, 0xE7))
            var pool: [(Scored, Double)] = []
            for c in candidates where c.plays < Self.exploreMaxPlays {
                guard let v = state.videos[c.video], now - v.publishedAt.milliseconds < Self.exploreMaxAgeMillis else { continue }
                let counters = state.videoCounters[c.video]
                let completions = min(counters?.completions ?? 0, c.plays)
                var e = c
                e.quality = ge.beta(Double(completions) + 1, Double(c.plays - completions) + 2)
                pool.append((e, e.quality + 0.5 * c.score))
            }
            pool.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.video < $1.0.video }
            explore = pool.prefix(slots).map { var e = $0.0; e.explore = true; return e }
        }
        let exploreIDs = Set(explore.map(\.video))

        // Diversity: greedy, best first, skipping repeats within the windows; relaxed if the page cannot fill.
        var page: [Scored] = []
        var used = exploreIDs
        let mainCount = r.count - explore.count
        for strict in [true, false] where page.count < mainCount {
            for s in scored where page.count < mainCount && !used.contains(s.video) {
                if strict {
                    let recent = page.suffix(creatorWindow)
                    if recent.contains(where: { $0.creator == s.creator || ($0.sound == s.sound && s.sound != 0) }) { continue }
                    if s.mainTag != 0 && page.suffix(tagWindow).contains(where: { $0.mainTag == s.mainTag }) { continue }
                }
                used.insert(s.video)
                page.append(s)
            }
        }
        // Exploration items go to every `exploreEvery`-th place (the 5th, the 10th...).
        for (k, e) in explore.enumerated() { page.insert(e, at: min(page.count, (k + 1) * weights.exploreEvery - 1)) }
        return page.map { s in
            let source = s.explore ? "explore" : s.session > 0 ? "session" : s.longTerm > 0 ? "longTerm" : s.followed ? "following" : "quality"
            return FeedItem(
                video: s.video, source: source, score: Float(s.score),
                features: [
                    NamedValue("longTerm", Float(s.longTerm)), NamedValue("session", Float(s.session)),
                    NamedValue("qualitySample", Float(s.quality)), NamedValue("followed", s.followed ? 1 : 0),
                    NamedValue("plays", Float(s.plays)),
                ])
        }
    }

    /// A profile's weights decayed to `now` and divided by the largest magnitude, so each feature is in [−1, 1].
    static func normalised(_ profile: InterestProfile?, at now: Int64, halfLife: Double) -> [UInt64: Double] {
        guard let profile, !profile.isEmpty else { return [:] }
        var out: [UInt64: Double] = [:]
        var largest = 0.0
        let factor = profile.decay(to: now, halfLifeMillis: halfLife)
        for (feature, weight) in zip(profile.features, profile.weights) {
            let w = Double(weight) * factor
            out[feature] = w
            largest = max(largest, abs(w))
        }
        guard largest > 0 else { return [:] }
        for k in out.keys { out[k]! /= largest }
        return out
    }
}
