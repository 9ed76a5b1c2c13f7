import Foundation
import ReelTesting
import ReelWorkloads
import Testing

@testable import ReelSimulation

@Suite struct ResponseModelTests {
    @Test func formulasMatchHandComputedCases() {
        var taste = [Double](repeating: 0, count: 111)
        taste[3] = 0.01
        taste[7] = 0.03
        // mean(0.01, 0.03) × 111 = 2.22; a favourite adds 1; the clip is at 3 before the bonus.
        #expect(abs(ResponseModel.affinity(taste: taste, tags: [3, 7], favourite: false) - 2.22) < 1e-9)
        #expect(abs(ResponseModel.affinity(taste: taste, tags: [3, 7], favourite: true) - 3.22) < 1e-9)
        taste[7] = 0.5
        #expect(ResponseModel.affinity(taste: taste, tags: [7], favourite: true) == 4)
        #expect(ResponseModel.affinity(taste: taste, tags: [], favourite: false) == 0)
        // f = sigmoid(1.5a + 2q − 2.5): a = 1, q = 0.5 gives sigmoid(0) = 0.5; a = 0, q = 0 gives sigmoid(−2.5).
        #expect(abs(ResponseModel.expectedFraction(affinity: 1, quality: 0.5) - 0.5) < 1e-12)
        #expect(abs(ResponseModel.expectedFraction(affinity: 0, quality: 0) - 1 / (1 + exp(2.5))) < 1e-12)
        // Expected watch with loops: 0.9 × (1 + 0.27) = 1.143; below 0.8 no loops.
        #expect(abs(ResponseModel.expectedWatch(0.9) - 1.143) < 1e-12)
        #expect(ResponseModel.expectedWatch(0.5) == 0.5)
        // The shift: the new tag takes 70 %.
        let shifted = World.shifted([0.5, 0.5, 0], to: 2)
        #expect(abs(shifted[0] - 0.15) < 1e-12 && abs(shifted[2] - 0.7) < 1e-12)
    }

    @Test func drawsHaveTheSpecifiedMoments() {
        var g = SplitMix64(seed: 7)
        let n = 40_000
        var sum = 0.0, squares = 0.0, likes = 0, shares = 0, follows = 0, skips = 0
        for _ in 0..<n {
            let o = ResponseModel.respond(expected: 0.5, following: false, using: &g)
            sum += o.fraction
            squares += o.fraction * o.fraction
            likes += o.liked ? 1 : 0
            shares += o.shared ? 1 : 0
            follows += o.followed ? 1 : 0
            skips += o.skipped ? 1 : 0
            #expect(o.loops == 0, "no loops at f ≤ 0.8")
        }
        let mean = sum / Double(n), variance = squares / Double(n) - mean * mean
        #expect(abs(mean - 0.5) < 0.01)  // Beta mean f
        #expect(abs(variance - 0.25 / 9) < 0.003)  // f(1 − f) / (concentration + 1)
        #expect(abs(Double(likes) / Double(n) - 0.0625) < 0.006)  // 0.25 f²
        #expect(abs(Double(shares) / Double(n) - 0.0125) < 0.003)  // 0.05 f²
        #expect(abs(Double(follows) / Double(n) - 0.01) < 0.003)  // 0.02 f
        #expect(skips > 0)
        var loops = 0
        for _ in 0..<n { loops += ResponseModel.respond(expected: 0.9, following: true, using: &g).loops }
        #expect(abs(Double(loops) / Double(n) - 0.27) < 0.015)  // Poisson(0.3 f)
        #expect(ResponseModel.respond(expected: 0.99, following: true, using: &g).followed == false)
    }
}

@Suite struct WorldTests {
    static let catalogue: Catalogue? = Catalogue.defaultPath().flatMap { try? Catalogue.load(kuaiRandCSV: $0) }

    @Test func theCatalogueIsTheRealOne() throws {
        let c = try #require(Self.catalogue, "the KuaiRand catalogue is missing")
        #expect(c.videos.count == 7_583)
        #expect(c.videos.allSatisfy { $0.durationMillis > 0 && $0.durationMillis <= Catalogue.maxDurationMillis })
    }

    @Test func theWorldIsTheSameForTheSameSeedAndDiffersForAnother() throws {
        let c = try #require(Self.catalogue)
        let a = World(catalogue: c, viewers: 50, seed: 3), b = World(catalogue: c, viewers: 50, seed: 3), other = World(catalogue: c, viewers: 50, seed: 4)
        #expect(a.quality == b.quality && a.release == b.release && a.viewers.map(\.taste) == b.viewers.map(\.taste))
        #expect(a.sessions.map(\.start) == b.sessions.map(\.start))
        #expect(a.quality != other.quality)
        #expect(a.release.compactMap { $0 }.count == c.videos.count / 10)
        #expect(a.sessions.count == 50 * World.sessionsPerViewer)
        #expect(a.sessions.allSatisfy { (15...30).contains($0.shiftAt) && !a.viewers[$0.viewer].topTags.contains($0.shiftTag) })
        #expect(a.viewers.allSatisfy { abs($0.taste.reduce(0, +) - 1) < 1e-9 && $0.favourites.count == 3 })
    }

    /// The week before the run (decision 0021): heavy-tailed, partly earned, the same for the same seed, and
    /// only over the initial catalogue, ending before the first session.
    @Test func theHistoryIsHeavyTailedAndPartlyEarned() throws {
        let c = try #require(Self.catalogue)
        let world = World(catalogue: c, viewers: 2000, seed: 1)
        let h = History(world: world, seed: 1), again = History(world: world, seed: 1)
        #expect(h.views == again.views && h.sessions.map(\.start) == again.sessions.map(\.start))
        #expect(h.audience.count == 1000 && h.views.reduce(0, +) == 1000 * History.playsPerViewer)
        #expect(world.release.indices.allSatisfy { world.release[$0] == nil || h.views[$0] == 0 })
        #expect(h.sessions.allSatisfy { s in s.start < 0 && s.plays.map { $0.outcome.fraction }.allSatisfy { $0 >= 0 } })
        // Published view counts: Gini about 0.93 (TikTok sample); log-normal over most of the range (Niconico).
        let initial = world.release.indices.filter { world.release[$0] == nil }
        let gini = History.gini(initial.map { h.views[$0] })
        #expect((0.8...0.97).contains(gini), "Gini \(gini)")
        // Partly earned: the most viewed tenth is of clearly higher hidden quality than the rest.
        let byViews = initial.sorted { (h.views[$0], $0) > (h.views[$1], $1) }
        let top = byViews.prefix(initial.count / 10), rest = byViews.dropFirst(initial.count / 10)
        func meanQuality<S: Sequence>(_ s: S) -> Double where S.Element == Int { let a = Array(s); return a.map { world.quality[$0] }.reduce(0, +) / Double(a.count) }
        #expect(meanQuality(top) > meanQuality(rest) + 0.1)
        #expect(History.gini([1, 1, 1, 1]) == 0 && abs(History.gini([0, 0, 0, 4]) - 0.75) < 1e-12)
    }

    /// What real logs show and the first world did not (decision 0021): the popular list is clearly above random.
    @Test func popularityPaysInTheWorld() async throws {
        let c = try #require(Self.catalogue)
        let world = World(catalogue: c, viewers: 300, seed: 2)
        let random = try await Simulator(world: world).run(RandomPolicy(seed: 2))
        let popular = try await Simulator(world: world).run(PopularPolicy())
        #expect(popular.watchSecondsPerSession > 1.3 * random.watchSecondsPerSession)
        #expect(popular.impressionGini > 0.9 && random.impressionGini < 0.5)
    }

    /// A sanity check of the world, not of any recommender: knowing the hidden taste must pay, a lot.
    @Test func theOracleBeatsRandomByAWideMargin() async throws {
        let c = try #require(Self.catalogue)
        let world = World(catalogue: c, viewers: 100, seed: 1)
        let random = try await Simulator(world: world).run(RandomPolicy(seed: 1))
        let oracle = try await Simulator(world: world).run(OraclePolicy())
        #expect(oracle.watchSecondsPerSession > 3 * random.watchSecondsPerSession)
        #expect(oracle.sessionLength > random.sessionLength)
        #expect(oracle.meanWatchFraction > random.meanWatchFraction)
    }

    /// The whole pipeline through the engine is deterministic too: the same seed twice gives the same figures.
    @Test func theReelPolicyIsDeterministic() async throws {
        let c = try #require(Self.catalogue)
        let small = Catalogue(videos: Array(c.videos.prefix(400)))
        let scratch = NSTemporaryDirectory() + "reel-sim-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let sim = Simulation(catalogue: small, seeds: 1, viewers: 40, policies: ["reel", "random"], scratch: scratch)
        let first = try await sim.run()
        let second = try await sim.run()
        #expect(first.runs["reel"] == second.runs["reel"])
        #expect(first.runs["reel"]!.first!.sessionLength > 0)
    }
}

@Suite struct SimulationProcessTests {
    /// Two processes, same seeds: byte-identical reports.
    @Test func theReportIsIdenticalAcrossProcesses() throws {
        guard let reel = reelExecutable() else {
            Issue.record("build the reel executable first (make test does)")
            return
        }
        func run() throws -> String {
            try runReel(reel, ["simulate", "--json", "--seeds", "2", "--viewers", "60", "--policies", "random,popular,followOnly,oracle"])
        }
        let a = try run()
        #expect(a.contains("\"oracle\"") && a.contains("ci95"))
        #expect(try run() == a)
    }
}
