import Foundation
import ReelDomain
import ReelWorkloads

/// What a policy knows about the session asking for a page: the viewer, what they have been shown (in any
/// session) and whom they follow. Only the oracle may read the world's hidden taste and quality.
public struct PageRequest {
    public var viewer: Int
    public var plan: World.SessionPlan
    /// Simulated milliseconds.
    public var time: Int64
    public var count: Int
    /// The viewer's current (possibly shifted) taste: for the oracle only.
    public var taste: [Double]
}

/// A way of choosing feed pages in the simulated world.
public protocol FeedPolicy: AnyObject {
    var name: String { get }
    func prepare(world: World, state: SimulationState) async throws
    func released(video: Int, at time: Int64) async throws
    func sessionStarted(_ plan: World.SessionPlan, at time: Int64) async throws
    /// Up to `count` videos, released and never shown to this viewer.
    func page(_ request: PageRequest) async throws -> [Int]
    func observed(video: Int, outcome: ResponseModel.Outcome, plan: World.SessionPlan, at time: Int64) async throws
    func sessionEnded(_ plan: World.SessionPlan, at time: Int64) async throws
    func finish() async throws
}

extension FeedPolicy {
    public func prepare(world: World, state: SimulationState) async throws {}
    public func released(video: Int, at time: Int64) async throws {}
    public func sessionStarted(_ plan: World.SessionPlan, at time: Int64) async throws {}
    public func observed(video: Int, outcome: ResponseModel.Outcome, plan: World.SessionPlan, at time: Int64) async throws {}
    public func sessionEnded(_ plan: World.SessionPlan, at time: Int64) async throws {}
    public func finish() async throws {}
}

/// What the simulator tracks that simple policies may read: releases, what each viewer was shown, follows
/// and global view counts (the history's included).
public final class SimulationState {
    public let world: World
    /// The week before the run (decision 0021).
    public let history: History
    public private(set) var released: [Bool]
    public private(set) var releasedList: [Int]
    public var shown: [Set<Int>]
    public var following: [Set<Int>]
    public var views: [Int]

    init(world: World) {
        self.world = world
        history = History(world: world, seed: world.seed)
        released = world.release.map { $0 == nil }
        releasedList = world.release.indices.filter { world.release[$0] == nil }
        shown = Array(repeating: [], count: world.viewers.count)
        following = Array(repeating: [], count: world.viewers.count)
        views = history.views
    }

    func release(_ video: Int) {
        released[video] = true
        releasedList.append(video)
    }

    func eligible(_ video: Int, for viewer: Int) -> Bool { released[video] && !shown[viewer].contains(video) }
}

/// Uniformly random unseen videos.
final class RandomPolicy: FeedPolicy {
    let name = "random"
    private var state: SimulationState!
    private var g: SplitMix64
    init(seed: UInt64) { g = SplitMix64(seed: SplitMix64.mix(seed, 11)) }
    func prepare(world: World, state: SimulationState) async throws { self.state = state }
    func page(_ r: PageRequest) async throws -> [Int] { Self.randomPage(r, state: state, g: &g, excluding: []) }

    static func randomPage(_ r: PageRequest, state: SimulationState, g: inout SplitMix64, excluding: Set<Int>) -> [Int] {
        var out: [Int] = []
        var chosen = excluding
        let pool = state.releasedList
        var attempts = 0
        while out.count < r.count && attempts < r.count * 50 {
            attempts += 1
            let v = pool[g.below(pool.count)]
            if state.eligible(v, for: r.viewer) && chosen.insert(v).inserted { out.append(v) }
        }
        return out
    }
}

/// The most viewed so far, the week before the run included (ties to the lower index), unseen.
final class PopularPolicy: FeedPolicy {
    let name = "popular"
    private var state: SimulationState!
    func prepare(world: World, state: SimulationState) async throws { self.state = state }
    func page(_ r: PageRequest) async throws -> [Int] {
        topK(state.releasedList.lazy.filter { self.state.eligible($0, for: r.viewer) }.map { ($0, Double(self.state.views[$0])) }, r.count)
    }
}

/// The newest unseen videos of followed creators, topped up with random ones.
final class FollowOnlyPolicy: FeedPolicy {
    let name = "followOnly"
    private var state: SimulationState!
    private var g: SplitMix64
    init(seed: UInt64) { g = SplitMix64(seed: SplitMix64.mix(seed, 12)) }
    func prepare(world: World, state: SimulationState) async throws { self.state = state }
    func page(_ r: PageRequest) async throws -> [Int] {
        let world = state.world
        let followed = state.following[r.viewer]
        var out = followed.isEmpty ? [] : state.releasedList.filter { followed.contains(world.creatorOf[$0]) && state.eligible($0, for: r.viewer) }
            .sorted { (world.release[$0] ?? -1, $0) > (world.release[$1] ?? -1, $1) }.prefix(r.count).map { $0 }
        if out.count < r.count {
            var rest = r
            rest.count = r.count - out.count
            out += RandomPolicy.randomPage(rest, state: state, g: &g, excluding: Set(out))
        }
        return out
    }
}

/// Knows the hidden taste and quality: shows the highest expected watch time not shown yet.
final class OraclePolicy: FeedPolicy {
    let name = "oracle"
    private var state: SimulationState!
    func prepare(world: World, state: SimulationState) async throws { self.state = state }
    func page(_ r: PageRequest) async throws -> [Int] {
        let world = state.world
        let viewer = world.viewers[r.viewer]
        return topK(
            state.releasedList.lazy.filter { self.state.eligible($0, for: r.viewer) }.map { v in
                (v, ResponseModel.expectedWatch(world.expectedFraction(video: v, viewer: viewer, taste: r.taste)) * Double(world.catalogue.videos[v].durationMillis))
            }, r.count)
    }
}

/// The `k` items with the highest score, best first; ties go to the lower item. One pass, no full sort.
func topK<S: Sequence>(_ items: S, _ k: Int) -> [Int] where S.Element == (Int, Double) {
    var best: [(Int, Double)] = []
    best.reserveCapacity(k + 1)
    func better(_ a: (Int, Double), _ b: (Int, Double)) -> Bool { a.1 != b.1 ? a.1 > b.1 : a.0 < b.0 }
    for item in items {
        if best.count == k, let last = best.last, !better(item, last) { continue }
        var i = best.count
        while i > 0 && better(item, best[i - 1]) { i -= 1 }
        best.insert(item, at: i)
        if best.count > k { best.removeLast() }
    }
    return best.map(\.0)
}
