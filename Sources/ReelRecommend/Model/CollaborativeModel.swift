import Foundation
import ReelDomain

/// Video and viewer embeddings learned from engagement: implicit-feedback matrix factorisation trained online,
/// in journal order, by stochastic gradient ascent on the BPR objective (Rendle et al. 2009) with sampled
/// negatives. Each engagement says "this video, for this viewer, over one drawn from the live catalogue";
/// each skip or not-interested says the reverse. The video's audience becomes its representation.
///
/// The affinity of viewer u and video i at time t is
///
///     s(u, i, t) = r_u · q_i + b_i + w · pop_i(t)
///
/// - `q_i = e_i + mean of e_f` over the video's content features (hashtags, sound, creator; not caption words, which are sealed personal data):
///   a hybrid, so a video nobody has played has the vector its features learned on other videos (LightFM's
///   idea, Kula 2015); its own part `e_i` grows with its plays.
/// - `r_u = p_u + mean of q_j` over the viewer's last `recentItems` engaged videos: a learned long-term
///   vector plus a short-term one that moves with every engagement (FISM's item-item term, Kabbur et al. 2013),
///   so the next request reflects the last action even for a viewer the model barely knows.
/// - `pop_i(t)`: the video's plays decayed with a one-day and a seven-day half-life and in all, its positive
///   engagement decayed with a one-day half-life (all as log(1 + x)), and its age (log(1 + hours)), with
///   weights `w` learned on the same pairs: how much being chosen lately, or being new, predicts being chosen
///   next is learned from the data, not assumed (new releases dominate some logs; others have a long tail).
///
/// - `co_u(i)`: the sum, over the viewer's recent videos j, of the cosine of i and j over co-engagement
///   (viewers who engaged with both within `recentItems` of each other): item-based neighbours, a
///   sequence-local signal that sparse logs reward where factors have too little to learn from; its weight is
///   the last of `w`.
///
/// Deterministic: ids map to dense slots in the order first seen (in journal order), the negatives come from a
/// SplitMix64 stream keyed by a step counter, and every sum runs in a fixed order, so folding the same journal
/// gives the same bits in every process.
public struct CollaborativeModel: Sendable {
    public static let dimension = 32
    public struct Settings: Sendable, Hashable {
        public var learningRate: Float = 0.05
        public var regularisation: Float = 0.01
        public var negatives = 4
        public var recentItems = 8
        public var initialScale: Float = 0.05
        public var weightLearningRate: Float = 0.005
        public init() {}
    }
    /// The counters behind `pop_i(t)`, per video: plays decayed over a day and a week, plays in all, positive
    /// engagement decayed over a day.
    static let counters = 4
    static let dayMillis = 86_400_000.0
    static let counterHalfLives: [Double] = [dayMillis, 7 * dayMillis, .infinity, dayMillis]
    /// The features: the counters (log(1 + x)) and the age.
    public static let popularityFeatures = counters + 1
    /// The weights: the popularity features, then co-engagement.
    public static let weightedFeatures = popularityFeatures + 1
    public static let weightNames = ["plays1d", "plays7d", "playsAll", "positive1d", "ageHours", "coEngagement"]
    /// Co-engagement neighbours kept per video (the weakest go first past twice this).
    public static let neighboursKept = 200

    /// What scoring needs of a viewer, computed once per page: `r_u` and their recent videos.
    public struct Context: Sendable {
        public var vector: [Float] = []
        var recent: [Int32] = []
        public init() {}
        public var isEmpty: Bool { vector.isEmpty }
    }

    public var settings = Settings()
    // Videos, by dense slot.
    var itemSlot: [UInt64: Int32] = [:]
    var itemIDs: [UInt64] = []
    var itemVectors: [Float] = []
    var itemBias: [Float] = []
    var itemFeatures: [[Int32]] = []
    /// Per slot: `counters` values as of `popularityTime`, and when the video was published.
    var popularity: [Float] = []
    var popularityTime: [Int64] = []
    var publishedAt: [Int64] = []
    /// Slots of live videos (the negatives are drawn from them) and each slot's place there (-1: not live).
    var live: [Int32] = []
    var livePlace: [Int32] = []
    // Content features.
    var featureSlot: [UInt64: Int32] = [:]
    var featureKeys: [UInt64] = []
    var featureVectors: [Float] = []
    // Viewers.
    var userSlot: [UInt64: Int32] = [:]
    var userVectors: [Float] = []
    var userRecent: [[Int32]] = []
    public internal(set) var weights = [Float](repeating: 0, count: weightedFeatures)
    /// Per slot: co-engagement counts with other slots, and positive engagements.
    var together: [[Int32: Float]] = []
    var engaged: [Float] = []
    public internal(set) var steps: UInt64 = 0

    public init() {}

    public var videoCount: Int { itemIDs.count }
    public var viewerCount: Int { userSlot.count }
    public var featureCount: Int { featureSlot.count }

    // MARK: Catalogue

    /// A published video enters the pool of negatives with its content features (it keeps its learned part
    /// if it was published before).
    public mutating func publish(_ video: UInt64, features: [UInt64], at time: Int64) {
        let slot = itemSlot(video)
        if livePlace[Int(slot)] < 0 { publishedAt[Int(slot)] = time }
        itemFeatures[Int(slot)] = features.map { featureSlot($0) }
        if livePlace[Int(slot)] < 0 {
            livePlace[Int(slot)] = Int32(live.count)
            live.append(slot)
        }
    }

    /// A video taken down is no longer drawn as a negative (its vectors stay: it may come back).
    public mutating func takeDown(_ video: UInt64) {
        guard let slot = itemSlot[video] else { return }
        let place = Int(livePlace[Int(slot)])
        guard place >= 0 else { return }
        let last = live.removeLast()
        if place < live.count {
            live[place] = last
            livePlace[Int(last)] = Int32(place)
        }
        livePlace[Int(slot)] = -1
    }

    /// Erasure forgets the viewer's vector and history; what they taught videos stays only as part of sums
    /// over many viewers.
    public mutating func erase(viewer: UInt64) {
        guard let slot = userSlot[viewer] else { return }
        userSlot[viewer] = nil
        let d = Self.dimension
        for k in 0..<d { userVectors[Int(slot) * d + k] = 0 }
        userRecent[Int(slot)] = []
    }

    // MARK: Learning

    /// One engagement of `weight` > 0 (a positive) or < 0 (a skip or not-interested), at `time`.
    public mutating func learn(viewer: UInt64, video: UInt64, weight: Float, at time: Int64) {
        guard let item = itemSlot[video], weight != 0 else { return }
        let user = userSlot(viewer)
        steps &+= 1
        var g = SplitMix64(seed: SplitMix64.mix(steps, 0xC0FF_EE15))
        if live.count > 1 {
            var r = userContext(Int(user), excluding: item)
            let recent = userRecent[Int(user)].filter { $0 != item }
            // Negatives uniform over the live catalogue (drawing half of them from recent plays, so that pairs
            // would teach the order among videos in demand, lost 0.02 NDCG@10 on MovieTweetings: Performance.md).
            for _ in 0..<settings.negatives {
                var other = live[Int(g.next() % UInt64(live.count))]
                if other == item { other = live[Int(g.next() % UInt64(live.count))] }
                if other == item { continue }
                if weight > 0 {
                    pair(user: Int(user), better: Int(item), worse: Int(other), weight: min(weight, 2), context: &r, recent: recent, at: time)
                } else {
                    pair(user: Int(user), better: Int(other), worse: Int(item), weight: min(-weight, 2), context: &r, recent: recent, at: time)
                }
            }
        }
        guard weight > 0 else { return }
        count(Int(item), [0, 0, 0, min(weight, 2)], at: time)
        var recent = userRecent[Int(user)]
        recent.removeAll { $0 == item }
        coEngaged(Int(item), with: recent)
        recent.append(item)
        if recent.count > settings.recentItems { recent.removeFirst(recent.count - settings.recentItems) }
        userRecent[Int(user)] = recent
    }

    /// A play of the video (any watch, skips excluded): counts toward its popularity features.
    public mutating func played(_ video: UInt64, at time: Int64) {
        guard let slot = itemSlot[video] else { return }
        count(Int(slot), [1, 1, 1, 0], at: time)
    }

    /// Counts a positive engagement with `item` together with each of the viewer's recent videos.
    private mutating func coEngaged(_ item: Int, with recent: [Int32]) {
        engaged[item] += 1
        for j in recent {
            together[Int(j)][Int32(item), default: 0] += 1
            together[item][j, default: 0] += 1
            prune(Int(j))
        }
        prune(item)
    }

    /// Keeps a video's strongest `neighboursKept` co-engagements once it has twice that (by count, then slot:
    /// a total order, so every replay keeps the same ones).
    private mutating func prune(_ slot: Int) {
        guard together[slot].count > 2 * Self.neighboursKept else { return }
        let kept = together[slot].sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(Self.neighboursKept)
        together[slot] = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }

    /// `co_u(i)` for a viewer's recent videos.
    func coEngagement(_ item: Int, recent: [Int32]) -> Float {
        guard !recent.isEmpty else { return 0 }
        var sum: Float = 0
        for j in recent where Int(j) != item {
            if let c = together[Int(j)][Int32(item)] { sum += c / (engaged[Int(j)] * engaged[item]).squareRoot() }
        }
        return sum
    }

    /// Adds to a video's counters after decaying them to `time`.
    private mutating func count(_ slot: Int, _ amounts: [Float], at time: Int64) {
        let base = slot * Self.counters
        let then = popularityTime[slot]
        for k in 0..<Self.counters {
            popularity[base + k] = popularity[base + k] * Self.decay(from: then, to: time, halfLife: Self.counterHalfLives[k]) + amounts[k]
        }
        popularityTime[slot] = max(then, time)
    }

    /// One BPR step on (user, better ≻ worse): gradients at the current values, then every update.
    private mutating func pair(
        user: Int, better i: Int, worse j: Int, weight: Float, context r: inout [Float], recent: [Int32], at time: Int64
    ) {
        let d = Self.dimension
        let qi = itemVector(i), qj = itemVector(j)
        let fi = features(i, recent: recent, at: time), fj = features(j, recent: recent, at: time)
        var x = itemBias[i] - itemBias[j]
        for k in 0..<d { x += r[k] * (qi[k] - qj[k]) }
        for k in 0..<Self.weightedFeatures { x += weights[k] * (fi[k] - fj[k]) }
        // d/dx log σ(x) = σ(−x).
        let g = weight / (1 + Float(exp(Double(x))))
        let lr = settings.learningRate, reg = settings.regularisation
        var diff = [Float](repeating: 0, count: d)
        for k in 0..<d { diff[k] = qi[k] - qj[k] }
        // The viewer's own vector.
        let ub = user * d
        for k in 0..<d { userVectors[ub + k] += lr * (g * diff[k] - reg * userVectors[ub + k]) }
        // The short-term part: the recent videos' own vectors move by the same gradient, shared among them.
        let recent = userRecent[user].filter { $0 != Int32(i) && $0 != Int32(j) }
        if !recent.isEmpty {
            let share = g / Float(recent.count)
            for s in recent {
                let b = Int(s) * d
                for k in 0..<d { itemVectors[b + k] += lr * share * diff[k] }
            }
        }
        // The two videos: their own part fully, their features by their share of the mean.
        for (slot, sign) in [(i, Float(1)), (j, Float(-1))] {
            let b = slot * d
            for k in 0..<d { itemVectors[b + k] += lr * (sign * g * r[k] - reg * itemVectors[b + k]) }
            itemBias[slot] += lr * (sign * g - reg * itemBias[slot])
            let features = itemFeatures[slot]
            guard !features.isEmpty else { continue }
            let share = sign * g / Float(features.count)
            for f in features {
                let fb = Int(f) * d
                for k in 0..<d { featureVectors[fb + k] += lr * (share * r[k] - reg * 0.1 * featureVectors[fb + k]) }
            }
        }
        for k in 0..<Self.weightedFeatures { weights[k] += settings.weightLearningRate * g * (fi[k] - fj[k]) }
        // The context moved with the viewer's vector (the recent part changes little within one event).
        for k in 0..<d { r[k] += lr * (g * diff[k] - reg * r[k]) }
    }

    // MARK: Scoring

    /// The learned affinity `s(u, i, t)`; nil for a video never published. A viewer the model does not know
    /// gets the video's bias and popularity alone.
    public func affinity(viewer: UInt64, video: UInt64, at time: Int64) -> Float? {
        affinity(context: context(of: viewer), video: video, at: time)
    }

    /// A viewer's context now (empty when unknown): a page computes it once.
    public func context(of viewer: UInt64) -> Context {
        var c = Context()
        guard let slot = userSlot[viewer] else { return c }
        c.vector = userContext(Int(slot), excluding: -1)
        c.recent = userRecent[Int(slot)]
        return c
    }

    /// Scores without building `q_i` or the feature vector (a page scores over a thousand candidates): r · q_i
    /// as r · own + the features' share of r · each feature vector.
    public func affinity(context: Context, video: UInt64, at time: Int64) -> Float? {
        guard let item = itemSlot[video].map(Int.init) else { return nil }
        var s = itemBias[item]
        let base = item * Self.counters, then = popularityTime[item]
        for k in 0..<Self.counters {
            s += weights[k] * Float(log1p(Double(popularity[base + k] * Self.decay(from: then, to: time, halfLife: Self.counterHalfLives[k]))))
        }
        s += weights[Self.counters] * Float(log1p(Double(max(0, time - publishedAt[item])) / 3_600_000))
        s += weights[Self.popularityFeatures] * coEngagement(item, recent: context.recent)
        guard context.vector.count == Self.dimension else { return s }
        let d = Self.dimension
        context.vector.withUnsafeBufferPointer { r in
            itemVectors.withUnsafeBufferPointer { items in
                var own: Float = 0
                for k in 0..<d { own += r[k] * items[item * d + k] }
                s += own
            }
            let features = itemFeatures[item]
            guard !features.isEmpty else { return }
            featureVectors.withUnsafeBufferPointer { fv in
                var shared: Float = 0
                for f in features {
                    let fb = Int(f) * d
                    for k in 0..<d { shared += r[k] * fv[fb + k] }
                }
                s += shared / Float(features.count)
            }
        }
        return s
    }

    /// The video the viewer engaged with last (nil when none, or erased).
    public func lastEngaged(by viewer: UInt64) -> UInt64? {
        userSlot[viewer].flatMap { userRecent[Int($0)].last }.map { itemIDs[Int($0)] }
    }

    /// `q_i`: the video's own part plus the mean of its features'.
    public func vector(of video: UInt64) -> [Float]? { itemSlot[video].map { itemVector(Int($0)) } }

    func itemVector(_ slot: Int) -> [Float] {
        let d = Self.dimension
        var q = Array(itemVectors[(slot * d)..<(slot * d + d)])
        let features = itemFeatures[slot]
        guard !features.isEmpty else { return q }
        let share = 1 / Float(features.count)
        for f in features {
            let fb = Int(f) * d
            for k in 0..<d { q[k] += share * featureVectors[fb + k] }
        }
        return q
    }

    func userContext(_ user: Int, excluding item: Int32) -> [Float] {
        let d = Self.dimension
        var r = Array(userVectors[(user * d)..<(user * d + d)])
        let recent = userRecent[user].filter { $0 != item }
        guard !recent.isEmpty else { return r }
        let share = 1 / Float(recent.count)
        for s in recent {
            let q = itemVector(Int(s))
            for k in 0..<d { r[k] += share * q[k] }
        }
        return r
    }

    /// The weighted features of a video for a viewer's recent videos: popularity, age, co-engagement.
    func features(_ slot: Int, recent: [Int32], at time: Int64) -> [Float] {
        let base = slot * Self.counters
        let then = popularityTime[slot]
        var out = [Float](repeating: 0, count: Self.weightedFeatures)
        out[Self.popularityFeatures] = coEngagement(slot, recent: recent)
        for k in 0..<Self.counters {
            out[k] = Float(log1p(Double(popularity[base + k] * Self.decay(from: then, to: time, halfLife: Self.counterHalfLives[k]))))
        }
        out[Self.counters] = Float(log1p(Double(max(0, time - publishedAt[slot])) / 3_600_000))
        return out
    }

    static func decay(from then: Int64, to now: Int64, halfLife: Double) -> Float {
        now > then && halfLife.isFinite ? Float(exp2(-Double(now - then) / halfLife)) : 1
    }

    // MARK: Slots

    /// A fixed pseudo-random start for a new row, from its id alone (so no two processes differ).
    private func initial(_ key: UInt64, _ salt: UInt64) -> [Float] {
        var g = SplitMix64(seed: SplitMix64.mix(key, salt))
        return (0..<Self.dimension).map { _ in Float(g.normal()) * settings.initialScale }
    }

    private mutating func itemSlot(_ video: UInt64) -> Int32 {
        if let s = itemSlot[video] { return s }
        let s = Int32(itemIDs.count)
        itemSlot[video] = s
        itemIDs.append(video)
        itemVectors += initial(video, 0x17E4)
        itemBias.append(0)
        itemFeatures.append([])
        popularity += [Float](repeating: 0, count: Self.counters)
        popularityTime.append(0)
        publishedAt.append(0)
        together.append([:])
        engaged.append(0)
        livePlace.append(-1)
        return s
    }

    private mutating func featureSlot(_ key: UInt64) -> Int32 {
        if let s = featureSlot[key] { return s }
        let s = Int32(featureVectors.count / Self.dimension)
        featureSlot[key] = s
        featureKeys.append(key)
        featureVectors += initial(key, 0xFEA7)
        return s
    }

    private mutating func userSlot(_ viewer: UInt64) -> Int32 {
        if let s = userSlot[viewer] { return s }
        let s = Int32(userRecent.count)
        userSlot[viewer] = s
        userVectors += initial(viewer, 0x05E4)
        userRecent.append([])
        return s
    }
}
