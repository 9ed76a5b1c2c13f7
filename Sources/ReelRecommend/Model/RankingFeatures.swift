import Foundation
import ReelDomain
import ReelViews

/// The ranker's input: hashed binary features of a (viewer, session, video) pair, from the model alone, so
/// training (in the fold) and serving (in the feed) compute them the same way.
///
/// Continuous signals (affinities, rates, durations) enter as buckets and bucket crosses, which lets a linear
/// model learn non-linear shapes; identity features (video, creator, sound, hashtag, viewer × creator) let it
/// memorise. Keys are mixed with SplitMix64's finaliser: fixed across processes.
public enum RankingFeatures {
    enum Namespace: UInt64 {
        case bias = 1, video, creator, sound, tag, longTermBucket, sessionBucket, affinityCross, followed,
            durationBucket,
            durationAffinity, completionBucket, playsBucket, viewerCreator, likeRateBucket, freshness, viewerTag,
            tagFit, tagFitDuration
    }

    @inline(__always) static func key(_ ns: Namespace, _ value: UInt64) -> UInt64 {
        SplitMix64.mix(ns.rawValue &* 0x9E37_79B9_7F4A_7C15, value)
    }

    /// Affinities measured at the same moment as the features (recorded with served items).
    public struct Affinity: Sendable {
        public var longTerm: Float
        public var session: Float
        public var followed: Bool
        /// The viewer's mean `TagEvidence.fit` over the video's hashtags, and the impressions behind it.
        public var tagFit: Float = TagEvidence.prior
        public var tagEvidence: Float = 0
        /// The learned collaborative affinity `s(u, i, t)` (`CollaborativeModel`), 0 for a video it does not know.
        public var learned: Float = 0
    }

    /// Hashtags of a video that count (features, evidence).
    static let tagsPerVideo = 6

    /// A viewer's vectors at one moment, unit length (empty when nothing is known): a page computes them once.
    public struct ViewerVectors: Sendable {
        public let longTerm: [Float]
        public let session: [Float]
        /// The viewer's learned context `r_u` (empty when the learned model does not know them), and the moment.
        public let learned: CollaborativeModel.Context
        public let at: Int64
        public init(longTerm: [Float], session: [Float], learned: CollaborativeModel.Context = .init(), at now: Int64 = 0) {
            self.longTerm = Self.unit(longTerm)
            self.session = Self.unit(session)
            self.learned = learned
            self.at = now
        }

        /// Everything the model knows of the viewer and session at `now`.
        public init(model: RecommenderModel, viewer: UInt64, session: UInt64, at now: Int64) {
            self.init(
                longTerm: model.longTerm(of: viewer, at: now), session: model.sessionVector(of: session, at: now),
                learned: model.learned.context(of: viewer), at: now)
        }
        static func unit(_ v: [Float]) -> [Float] {
            guard Embedding.norm(v) > 0 else { return [] }
            var u = v
            Embedding.normalise(&u)
            return u
        }
    }

    public static func affinity(
        model: RecommenderModel, viewer: UInt64, session: UInt64, video: UInt64, facts: VideoFacts, at now: Int64
    )
        -> Affinity
    {
        affinity(
            model: model, learned: model.learned, video: video, facts: facts,
            viewer: ViewerVectors(model: model, viewer: viewer, session: session, at: now), user: model.users[viewer])
    }

    /// The same, with the viewer's vectors already decayed to now and normalised. `learned` is the model's
    /// learned part, taken once by a caller that scores many videos: reading `model.learned` copies the struct
    /// (about twenty arrays retained and released), which was a tenth of a page.
    public static func affinity(
        model: RecommenderModel, learned: CollaborativeModel, video: UInt64, facts: VideoFacts, viewer: ViewerVectors, user: UserFacts?
    ) -> Affinity {
        let (l, s) = model.cosines(of: video, facts: facts, viewer)
        var a = Affinity(longTerm: l, session: s, followed: user?.following.contains(facts.creator) ?? false)
        a.learned = learned.affinity(context: viewer.learned, video: video, at: viewer.at) ?? 0
        if let known = user?.tags, !known.isEmpty, !facts.tags.isEmpty {
            var fit: Float = 0
            var evidence: Float = 0
            let tags = facts.tags.prefix(tagsPerVideo)
            for t in tags {
                let e = known[t] ?? TagEvidence()
                fit += e.fit
                evidence += e.impressions
            }
            a.tagFit = fit / Float(tags.count)
            a.tagEvidence = evidence
        }
        return a
    }

    public static func hashed(
        model: RecommenderModel, viewer: UInt64, session: UInt64, video: UInt64, facts f: VideoFacts, at now: Int64
    )
        -> [UInt64]
    {
        hashed(
            viewer: viewer, video: video, facts: f,
            affinity: affinity(model: model, viewer: viewer, session: session, video: video, facts: f, at: now), at: now
        )
    }

    public static func hashed(viewer: UInt64, video: UInt64, facts f: VideoFacts, affinity a: Affinity, at now: Int64)
        -> [UInt64]
    {
        let lt = bucket(a.longTerm)
        let st = bucket(a.session)
        let duration = UInt64(min(12, max(0, log2(Double(max(f.durationMillis, 1000)) / 1000).rounded(.down) + 1)))
        let completion = UInt64(min(9, f.completionRate * 10))
        let plays = UInt64(min(16, log2(Double(f.plays) + 1).rounded(.down)))
        let likeRate = UInt64(min(9, (Double(f.likes) + 0.1) / (Double(f.plays) + 3) * 40))
        let ageHours = now > f.publishedAt ? Double(now - f.publishedAt) / 3_600_000 : 0
        var out: [UInt64] = [
            key(.bias, 0), key(.video, video), key(.creator, f.creator), key(.longTermBucket, lt),
            key(.sessionBucket, st),
            key(.affinityCross, lt << 8 | st), key(.followed, a.followed ? 1 : 0), key(.durationBucket, duration),
            key(.durationAffinity, duration << 8 | max(lt, st)), key(.completionBucket, completion),
            key(.playsBucket, plays),
            key(.viewerCreator, SplitMix64.mix(viewer, f.creator)), key(.likeRateBucket, likeRate),
            key(.freshness, UInt64(min(8, log2(ageHours + 1).rounded(.down)))),
        ]
        // The hashtag evidence in tenths, by how much of it there is (none, 1, 2-3, 4-7, 8+ impressions).
        let fit = UInt64(min(10, max(0, a.tagFit * 10)))
        let evidence = a.tagEvidence < 1 ? 0 : UInt64(min(4, log2(Double(a.tagEvidence)).rounded(.down) + 1))
        out.append(key(.tagFit, fit << 4 | evidence))
        out.append(key(.tagFitDuration, fit << 8 | duration))
        if f.sound != 0 { out.append(key(.sound, f.sound)) }
        for t in f.tags.prefix(6) {
            out.append(key(.tag, t))
            out.append(key(.viewerTag, SplitMix64.mix(viewer, t)))
        }
        return out
    }

    /// The prior every head starts from, in log-odds: what the viewer's vectors say about the video. A new
    /// model ranks by affinity; the learned weights correct it as outcomes arrive.
    public static func margin(_ a: Affinity) -> Double {
        let best = max(Double(a.longTerm), 1.5 * Double(a.session))
        return max(-3, min(3, 3 * best + (a.followed ? 0.5 : 0)))
    }

    /// Cosine in [−1, 1] to 0...12 (finer near the top, where rankings are decided).
    static func bucket(_ c: Float) -> UInt64 {
        if c <= 0 { return c < -0.2 ? 0 : 1 }
        return UInt64(min(12, 2 + c * 11))
    }
}
