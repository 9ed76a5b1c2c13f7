import Foundation
import ReelDomain

/// The platform before the run (decision 0021): a background audience watched the initial catalogue during
/// the week before the first session, exposed by popularity rather than by taste, so plays are heavy-tailed
/// (log-normal exposure, Gini about 0.9, as measured on TikTok and Niconico view counts) and only partly
/// earned (the exposure's log is correlated ρ = 0.6 with the video's hidden quality; the rest is luck, the
/// "random multiplicative process" of view counts). Every policy may read it: `popular` as view counts,
/// `reel` as the events it would have logged.
public struct History: Sendable {
    /// One background session: plays one after another from `start` (negative: before the run).
    public struct Session: Sendable {
        public var audience: Int
        public var start: Int64
        public var plays: [(video: Int, outcome: ResponseModel.Outcome)]
    }

    /// One background viewer per two of the run's (1,000 at the default 2,000).
    public static func audienceSize(viewers: Int) -> Int { max(1, viewers / 2) }
    public static let playsPerViewer = 40
    /// log-exposure = σ · (ρ · quality z-score + √(1 − ρ²) · noise).
    public static let exposureSigma = 2.2
    public static let qualityCorrelation = 0.6
    public static let weekMillis = World.dayMillis * 7

    /// Background viewers: tastes and favourites drawn as for the run's viewers.
    public let audience: [World.Viewer]
    /// In order of start.
    public let sessions: [Session]
    /// Plays per video (impressions, skips included).
    public let views: [Int]

    init(world: World, seed: UInt64) {
        var g = SplitMix64(seed: SplitMix64.mix(seed, 0x4157))
        let initial = world.release.indices.filter { world.release[$0] == nil }
        // Beta(2, 5): mean 2/7, standard deviation √(10 / 392).
        let qualityMean = 2.0 / 7, qualitySD = (10.0 / 392).squareRoot()
        let rho = Self.qualityCorrelation
        var cumulative: [Double] = []
        var total = 0.0
        for i in initial {
            let z = rho * (world.quality[i] - qualityMean) / qualitySD + (1 - rho * rho).squareRoot() * g.normal()
            total += exp(Self.exposureSigma * z)
            cumulative.append(total)
        }
        func draw(_ g: inout SplitMix64) -> Int {
            let r = g.open01() * total
            var lo = 0, hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] > r { hi = mid } else { lo = mid + 1 }
            }
            return initial[lo]
        }
        var audience: [World.Viewer] = []
        var sessions: [Session] = []
        var views = [Int](repeating: 0, count: world.catalogue.videos.count)
        for a in 0..<Self.audienceSize(viewers: world.viewers.count) {
            let taste = g.dirichlet(count: Catalogue.tagCount, alpha: 0.1)
            var favourites = Set<Int>()
            while favourites.count < min(3, world.creators.count) { favourites.insert(world.creatorOf[initial[g.below(initial.count)]]) }
            let viewer = World.Viewer(taste: taste, favourites: favourites, topTags: [])
            audience.append(viewer)
            var seen = Set<Int>()
            var plays: [(Int, ResponseModel.Outcome)] = []
            var attempts = 0
            while plays.count < Self.playsPerViewer && attempts < Self.playsPerViewer * 50 {
                attempts += 1
                let v = draw(&g)
                guard seen.insert(v).inserted else { continue }
                let f = world.expectedFraction(video: v, viewer: viewer, taste: taste)
                var o = ResponseModel.respond(expected: f, following: false, using: &g)
                o.followed = false
                plays.append((v, o))
                views[v] += 1
            }
            // Ends before the run: a session is at most 40 plays of at most 10 minutes with loops.
            sessions.append(Session(audience: a, start: -Self.weekMillis + Int64(g.below(Int(Self.weekMillis - World.dayMillis))), plays: plays))
        }
        self.audience = audience
        self.sessions = sessions.sorted { ($0.start, $0.audience) < ($1.start, $1.audience) }
        self.views = views
    }

    /// The Gini coefficient of non-negative counts (0 equal, 1 all on one).
    public static func gini(_ counts: [Int]) -> Double {
        let sorted = counts.sorted()
        let sum = Double(sorted.reduce(0, +))
        guard sum > 0 else { return 0 }
        var weighted = 0.0
        for (i, c) in sorted.enumerated() { weighted += Double(i + 1) * Double(c) }
        let n = Double(sorted.count)
        return (2 * weighted) / (n * sum) - (n + 1) / n
    }
}
