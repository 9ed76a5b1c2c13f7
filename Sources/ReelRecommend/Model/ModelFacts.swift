import ReelViews

/// What the recommender keeps per video: its content and engagement, enough to embed and score it without
/// asking the views (so the model is a projection on its own, checkpointed at its own position).
public struct VideoFacts: Sendable, Hashable {
    public var creator: UInt64 = 0
    public var sound: UInt64 = 0
    public var tags: [UInt64] = []
    /// Hashed caption words: always empty since captions are sealed personal data (kept for the format).
    var words: [UInt64] = []
    public var publishedAt: Int64 = 0
    public var durationMillis: UInt64 = 0
    public var live = false
    public var impressions: UInt32 = 0
    public var plays: UInt32 = 0
    public var completions: UInt32 = 0
    public var likes: UInt32 = 0
    public var shares: UInt32 = 0
    public var follows: UInt32 = 0
    public var watchFractionSum: Float = 0
    /// Sum over learned impressions of (watched fraction − what the watch head predicted before it): how much
    /// better than expected for those viewers it did. Unlike raw rates, free of who it happened to be shown
    /// to, so exploration can compare new videos shown to different audiences.
    public var liftSum: Float = 0
    public var lifted: UInt32 = 0
    /// Sum of engaging viewers' unit vectors, weighted by how strongly they engaged (collaborative part).
    public var collaborative: [Float] = []
    public var collaborativeWeight: Float = 0

    public init() {}

    /// Smoothed completion rate under a Beta(1, 2) prior.
    public var completionRate: Double { (Double(min(completions, plays)) + 1) / (Double(plays) + 3) }
}

/// What the recommender keeps per viewer (dropped on erasure).
public struct UserFacts: Sendable, Hashable {
    /// Decayed sum of the vectors of what they engaged with (long-term taste).
    public var longTerm: [Float] = []
    public var updatedAt: Int64 = 0
    /// Followed creators.
    public var following = IDList()
    /// The most recent liked or shared videos, oldest first.
    public var recentLikes: [UInt64] = []
    /// What their watches said about each hashtag they were shown (at most `RecommenderModel.tagsKeptPerViewer`).
    public var tags: [UInt64: TagEvidence] = [:]
}

/// A viewer's record with one hashtag: watched fraction (one play, capped at 1) summed over the impressions of
/// videos carrying it. Unlike the embedding, which blends a video's hashtags with its creator, sound and words,
/// this answers "do they stay for this hashtag" from the first impression on.
public struct TagEvidence: Sendable, Hashable {
    public var watched: Float = 0
    public var impressions: Float = 0
    public init(watched: Float = 0, impressions: Float = 0) {
        self.watched = watched
        self.impressions = impressions
    }
    /// What a viewer watches of a hashtag they have never been shown, and its weight in pseudo-impressions.
    public static let prior: Float = 0.35
    public static let priorWeight: Float = 1
    /// The mean watched fraction, shrunk toward the prior.
    public var fit: Float { (watched + Self.prior * Self.priorWeight) / (impressions + Self.priorWeight) }
}

/// One viewing session: its short-term vector and the impression whose outcome is still being collected.
public struct SessionFacts: Sendable, Hashable {
    public var viewer: UInt64 = 0
    public var region: UInt16 = 0
    public var vector: [Float] = []
    public var updatedAt: Int64 = 0
    var pending: PendingImpression?
}

/// An impression (a watch or skip) whose labels are complete once the session moves on: likes, shares and
/// follows for the video arrive after its watch event. Its features are those from before the watch.
struct PendingImpression: Sendable, Hashable {
    var video: UInt64
    var creator: UInt64
    var features: [UInt64]
    var completed: Bool
    /// Watched fraction of one play, capped at 1 (the watch-time task's soft label).
    var watchFraction: Float
    /// The prior log-odds from affinity at impression time (`RankingFeatures.margin`).
    var margin: Float
    var liked = false
    var shared = false
    var followed = false
}
