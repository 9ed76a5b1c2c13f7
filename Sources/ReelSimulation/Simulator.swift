import Foundation
import ReelDomain
import ReelWorkloads

/// One policy's figures in one seed's world.
public struct PolicyMetrics: Sendable, Hashable {
    public var watchSecondsPerSession = 0.0
    public var meanWatchFraction = 0.0
    public var sessionLength = 0.0
    public var adaptationRequests = 0.0
    public var freshTopDecileReach = 0.0
    public var coverage = 0.0
    /// The Gini coefficient of the run's impressions over the catalogue: how concentrated attention was.
    public var impressionGini = 0.0

    public static let names = ["watchSecondsPerSession", "meanWatchFraction", "sessionLength", "adaptationRequests", "freshTopDecileReach", "coverage", "impressionGini"]
    public var values: [Double] { [watchSecondsPerSession, meanWatchFraction, sessionLength, adaptationRequests, freshTopDecileReach, coverage, impressionGini] }
}

/// Runs one policy through one world: sessions in order of their start, each page asked of the policy, each
/// impression answered by the response model with random numbers fixed by (seed, viewer, session, impression),
/// so every policy meets the same draws.
public struct Simulator {
    public static let pageSize = 10
    public static let maxImpressions = 100
    public static let boredomLimit = 5.0

    public let world: World
    /// Called for every impression (viewer, video, simulated ms, outcome): for exporting interactions.
    public var record: ((Int, Int, Int64, ResponseModel.Outcome) -> Void)?

    public init(world: World) { self.world = world }

    public func run(_ policy: any FeedPolicy) async throws -> PolicyMetrics {
        let state = SimulationState(world: world)
        try await policy.prepare(world: world, state: state)
        let videos = world.catalogue.videos
        var pending = world.release.indices.filter { world.release[$0] != nil }.sorted { (world.release[$0]!, $0) < (world.release[$1]!, $1) }[...]
        // Fresh reach: impressions within a day of release.
        var earlyImpressions = [Int](repeating: 0, count: videos.count)
        var runViews = [Int](repeating: 0, count: videos.count)
        var watchMillis = 0.0, fractionSum = 0.0, impressionsTotal = 0
        var adaptation: [Int] = []
        var diagnostics = SimulationDiagnostics(viewers: world.viewers.count)

        for plan in world.sessions {
            while let next = pending.first, world.release[next]! <= plan.start {
                pending.removeFirst()
                state.release(next)
                try await policy.released(video: next, at: world.release[next]!)
            }
            var time = plan.start
            let ordinal = diagnostics.sessionStarted(viewer: plan.viewer)
            try await policy.sessionStarted(plan, at: time)
            let viewer = world.viewers[plan.viewer]
            var taste = viewer.taste
            var impressions = 0, boredom = 0.0
            var recent: [(creator: Int, tag: Int)] = []
            var queue: [Int] = []
            var shifted = false, adapted = false, requestsAfterShift = 0
            session: while true {
                if queue.isEmpty {
                    let asked = try await policy.page(PageRequest(viewer: plan.viewer, plan: plan, time: time, count: Self.pageSize, taste: taste))
                    var seen = Set<Int>()
                    queue = asked.filter { state.eligible($0, for: plan.viewer) && seen.insert($0).inserted }
                    if shifted && !adapted {
                        requestsAfterShift += 1
                        let matching = queue.filter { videos[$0].tags.contains(plan.shiftTag) }.count
                        if matching * 2 >= Self.pageSize { adapted = true }
                    }
                    diagnostics.page(usable: queue.count, asked: Self.pageSize)
                    if queue.isEmpty { break session }
                }
                let video = queue.removeFirst()
                impressions += 1
                if impressions == plan.shiftAt {
                    taste = World.shifted(viewer.taste, to: plan.shiftTag)
                    shifted = true
                }
                let f = world.expectedFraction(video: video, viewer: viewer, taste: taste)
                var g = SplitMix64(seed: SplitMix64.mix(world.seed ^ 0x5EED, UInt64(plan.viewer) << 24 | UInt64(plan.index) << 8 | UInt64(impressions)))
                let creator = world.creatorOf[video]
                let outcome = ResponseModel.respond(expected: f, following: state.following[plan.viewer].contains(creator), using: &g)
                state.shown[plan.viewer].insert(video)
                state.views[video] += 1
                runViews[video] += 1
                if let r = world.release[video], time - r < World.dayMillis { earlyImpressions[video] += 1 }
                let watched = outcome.fraction * Double(videos[video].durationMillis)
                watchMillis += watched
                fractionSum += outcome.fraction
                impressionsTotal += 1
                record?(plan.viewer, video, time, outcome)
                try await policy.observed(video: video, outcome: outcome, plan: plan, at: time)
                time += Int64(watched.rounded())
                if outcome.followed { state.following[plan.viewer].insert(creator) }
                let mainTag = videos[video].tags.first ?? -1
                let repeated = recent.contains(where: { $0.creator == creator || ($0.tag == mainTag && mainTag >= 0) })
                if outcome.skipped { boredom += 1 }
                if repeated { boredom += 0.5 }
                diagnostics.impression(ordinal: ordinal, fraction: outcome.fraction, watchedMillis: watched, skipped: outcome.skipped, repeated: repeated)
                recent.append((creator, mainTag))
                if recent.count > 5 { recent.removeFirst() }
                if boredom >= Self.boredomLimit || impressions >= Self.maxImpressions {
                    diagnostics.sessionEnded(bored: boredom >= Self.boredomLimit, atLimit: impressions >= Self.maxImpressions)
                    break
                }
            }
            if shifted { adaptation.append(requestsAfterShift) }
            try await policy.sessionEnded(plan, at: time)
        }
        try await policy.finish()

        let fresh = world.release.indices.filter { world.release[$0] != nil }
        let topFresh = fresh.sorted { (world.quality[$0], $0) > (world.quality[$1], $1) }.prefix(max(1, fresh.count / 10))
        if ProcessInfo.processInfo.environment["REEL_SIM_DEBUG"] != nil {
            let meanAll = Double(fresh.map { earlyImpressions[$0] }.reduce(0, +)) / Double(max(1, fresh.count))
            let meanTop = Double(topFresh.map { earlyImpressions[$0] }.reduce(0, +)) / Double(max(1, topFresh.count))
            let reached = fresh.filter { earlyImpressions[$0] >= 50 }.count
            FileHandle.standardError.write(Data(diagnostics.report(policy: policy.name, viewers: world.viewers.count).utf8))
            FileHandle.standardError.write(Data("[debug] \(policy.name): fresh \(fresh.count) mean first-day impressions \(meanAll), top decile \(topFresh.count) mean \(meanTop); fresh reaching 50: \(reached)\n".utf8))
        }
        var m = PolicyMetrics()
        let sessions = Double(world.sessions.count)
        m.watchSecondsPerSession = watchMillis / 1000 / sessions
        m.meanWatchFraction = impressionsTotal == 0 ? 0 : fractionSum / Double(impressionsTotal)
        m.sessionLength = Double(impressionsTotal) / sessions
        m.adaptationRequests = adaptation.isEmpty ? 0 : Double(adaptation.reduce(0, +)) / Double(adaptation.count)
        m.freshTopDecileReach = topFresh.isEmpty ? 0 : Double(topFresh.filter { earlyImpressions[$0] >= 50 }.count) / Double(topFresh.count)
        m.coverage = Double(runViews.filter { $0 > 0 }.count) / Double(videos.count)
        m.impressionGini = History.gini(runViews)
        return m
    }
}

/// Figures over seeds: mean and a 95 % interval (Student's t).
public struct Summary: Sendable, Hashable {
    public var mean: Double
    public var low: Double
    public var high: Double

    public init(_ values: [Double]) {
        let n = Double(values.count)
        let m = values.reduce(0, +) / n
        mean = m
        guard values.count > 1 else {
            low = m
            high = m
            return
        }
        let sd = sqrt(values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1))
        let half = Self.t95(values.count - 1) * sd / n.squareRoot()
        low = m - half
        high = m + half
    }

    /// The two-sided 95 % quantile of Student's t with `df` degrees of freedom.
    static func t95(_ df: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                               2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        return df <= table.count ? table[df - 1] : 1.96
    }
}
