import Foundation
import ReelDomain
import ReelWorkloads

/// One seed's hidden world: qualities, tastes, favourite creators, which videos are held back and when they
/// are released, and every session's plan. The same for every policy, so policies meet the same viewers.
public struct World: Sendable {
    public struct Viewer: Sendable {
        public var taste: [Double]
        /// Indexes into `creators`.
        public var favourites: Set<Int>
        /// The three tags the viewer likes most (a shift never goes to one of them).
        public var topTags: [Int]
    }

    public struct SessionPlan: Sendable {
        public var viewer: Int
        public var index: Int
        /// Simulated milliseconds since the start of the run.
        public var start: Int64
        /// The impression (1-based) at which interest shifts.
        public var shiftAt: Int
        public var shiftTag: Int
    }

    public let catalogue: Catalogue
    /// Hidden quality per video, Beta(2, 5).
    public let quality: [Double]
    /// Creator index per video, and the creators' KuaiRand ids.
    public let creatorOf: [Int]
    public let creators: [UInt64]
    /// Release time (ms) of each held-back video; nil for the initial catalogue.
    public let release: [Int64?]
    public let viewers: [Viewer]
    /// Sessions in the order they run (by start time, then viewer, then index).
    public let sessions: [SessionPlan]
    public let seed: UInt64

    public static let days = 7
    public static let dayMillis: Int64 = 86_400_000
    public static let sessionsPerViewer = 5

    public init(catalogue: Catalogue, viewers viewerCount: Int, seed: UInt64) {
        self.catalogue = catalogue
        self.seed = seed
        var g = SplitMix64(seed: SplitMix64.mix(seed, 1))
        let videos = catalogue.videos
        quality = videos.map { _ in g.beta(2, 5) }
        var creatorIndex: [UInt64: Int] = [:]
        var creators: [UInt64] = []
        var sizes: [Int] = []
        creatorOf = videos.map { v in
            if let i = creatorIndex[v.creator] {
                sizes[i] += 1
                return i
            }
            creatorIndex[v.creator] = creators.count
            creators.append(v.creator)
            sizes.append(1)
            return creators.count - 1
        }
        self.creators = creators
        // One tenth held back, released uniformly over the run.
        var release = [Int64?](repeating: nil, count: videos.count)
        var order = Array(videos.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, g.below(i + 1)) }
        for i in order.prefix(videos.count / 10) { release[i] = Int64(g.below(Int(Self.dayMillis) * Self.days)) }
        self.release = release
        // Favourite creators in proportion to their catalogue size.
        var cumulative: [Int] = []
        var total = 0
        for s in sizes {
            total += s
            cumulative.append(total)
        }
        func drawCreator(_ g: inout SplitMix64) -> Int {
            let r = g.below(total)
            var lo = 0, hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] > r { hi = mid } else { lo = mid + 1 }
            }
            return lo
        }
        var viewers: [Viewer] = []
        var plans: [SessionPlan] = []
        for v in 0..<viewerCount {
            let taste = g.dirichlet(count: Catalogue.tagCount, alpha: 0.1)
            var favourites = Set<Int>()
            while favourites.count < min(3, creators.count) { favourites.insert(drawCreator(&g)) }
            let top = taste.indices.sorted { taste[$0] != taste[$1] ? taste[$0] > taste[$1] : $0 < $1 }.prefix(3).map { $0 }
            viewers.append(Viewer(taste: taste, favourites: favourites, topTags: top))
            for s in 0..<Self.sessionsPerViewer {
                var tag = g.below(Catalogue.tagCount)
                while top.contains(tag) { tag = g.below(Catalogue.tagCount) }
                plans.append(
                    SessionPlan(viewer: v, index: s, start: Int64(g.below(Int(Self.dayMillis) * Self.days)), shiftAt: 15 + g.below(16), shiftTag: tag))
            }
        }
        self.viewers = viewers
        sessions = plans.sorted { ($0.start, $0.viewer, $0.index) < ($1.start, $1.viewer, $1.index) }
    }

    /// The viewer's taste after a session's shift: the new tag takes 70 %.
    public static func shifted(_ taste: [Double], to tag: Int) -> [Double] {
        var t = taste.map { $0 * 0.3 }
        t[tag] += 0.7
        return t
    }

    /// The expected watch fraction of video `i` for a viewer with `taste`.
    public func expectedFraction(video i: Int, viewer: Viewer, taste: [Double]) -> Double {
        let a = ResponseModel.affinity(taste: taste, tags: catalogue.videos[i].tags, favourite: viewer.favourites.contains(creatorOf[i]))
        return ResponseModel.expectedFraction(affinity: a, quality: quality[i])
    }
}
