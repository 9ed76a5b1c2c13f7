import Foundation
import ReelDomain

/// `reel simulate`: every policy through the same seeds' worlds, summarised over seeds.
public struct Simulation {
    public static let policyNames = ["reel", "random", "popular", "followOnly", "oracle"]
    /// Policies run only when asked for.
    public static let extraPolicyNames = ["reelInterest"]

    public var catalogue: Catalogue
    public var seeds: Int
    public var viewers: Int
    public var policies: [String]
    /// Where the `reel` policy's engine keeps its data directory (removed afterwards).
    public var scratch: String

    public init(catalogue: Catalogue, seeds: Int = 5, viewers: Int = 2000, policies: [String] = Simulation.policyNames, scratch: String) {
        self.catalogue = catalogue
        self.seeds = seeds
        self.viewers = viewers
        self.policies = policies
        self.scratch = scratch
    }

    public struct Report: Sendable {
        public var seeds: Int
        public var viewers: Int
        /// Per policy, per seed.
        public var runs: [String: [PolicyMetrics]]

        public func summary(_ policy: String) -> [String: Summary] {
            guard let runs = runs[policy] else { return [:] }
            var out: [String: Summary] = [:]
            for (i, name) in PolicyMetrics.names.enumerated() { out[name] = Summary(runs.map { $0.values[i] }) }
            return out
        }

        /// (reel − random) / (oracle − random) on watch seconds per session.
        public var normalizedGain: Double? {
            guard let reel = summary("reel")["watchSecondsPerSession"]?.mean, let random = summary("random")["watchSecondsPerSession"]?.mean,
                  let oracle = summary("oracle")["watchSecondsPerSession"]?.mean, oracle != random
            else { return nil }
            return (reel - random) / (oracle - random)
        }

        public var json: JSONValue {
            var policies: [(String, JSONValue)] = []
            for name in Simulation.policyNames + Simulation.extraPolicyNames where runs[name] != nil {
                let s = summary(name)
                policies.append((name, .object(PolicyMetrics.names.map { m in
                    (m, .object([("mean", .double(s[m]!.mean)), ("ci95", .array([.double(s[m]!.low), .double(s[m]!.high)]))]))
                })))
            }
            var fields: [(String, JSONValue)] = [("seeds", .int(Int64(seeds))), ("viewers", .int(Int64(viewers))), ("policies", .object(policies))]
            if let g = normalizedGain { fields.append(("normalizedGain", .double(g))) }
            return .object(fields)
        }
    }

    /// Writes the first seed's world as `videos.csv` and the `random` policy's impressions as
    /// `interactions.csv` (the format `reel import` reads): logged data with uniformly random exposure, the
    /// kind offline evaluation needs. Ids (videos and creators) are KuaiRand's plus one: imported ids start at 1.
    public func exportRandomExposure(to directory: String) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let world = World(catalogue: catalogue, viewers: viewers, seed: 1)
        let base = 1_767_225_600.0
        func seconds(_ ms: Int64) -> String { String(format: "%.3f", base + Double(ms) / 1000) }
        var videos = "video_id,creator_id,duration_ms,tags,sound_id,caption,uploaded_at\n"
        for (i, v) in catalogue.videos.enumerated() {
            videos += "\(v.id + 1),\(v.creator + 1),\(v.durationMillis),\(v.tags.map { "tag\($0)" }.joined(separator: "|")),\(v.sound),video \(v.id),\(seconds(world.release[i] ?? 0))\n"
        }
        try videos.write(toFile: "\(directory)/videos.csv", atomically: true, encoding: .utf8)
        var rows = "user_id,video_id,timestamp,watch_ratio,liked,shared,followed\n"
        var simulator = Simulator(world: world)
        simulator.record = { viewer, video, time, o in
            rows += "\(viewer + 1),\(catalogue.videos[video].id + 1),\(seconds(time)),\(String(format: "%.4f", o.fraction)),\(o.liked ? 1 : 0),\(o.shared ? 1 : 0),\(o.followed ? 1 : 0)\n"
        }
        _ = try await simulator.run(RandomPolicy(seed: 1))
        try rows.write(toFile: "\(directory)/interactions.csv", atomically: true, encoding: .utf8)
    }

    public func run(progress: (String) -> Void = { _ in }) async throws -> Report {
        var runs: [String: [PolicyMetrics]] = [:]
        for s in 0..<seeds {
            let world = World(catalogue: catalogue, viewers: viewers, seed: UInt64(s + 1))
            let history = History(world: world, seed: world.seed)
            let initial = world.release.indices.filter { world.release[$0] == nil }
            progress("seed \(s + 1) history: \(history.views.reduce(0, +)) plays by \(history.audience.count) viewers, Gini \(String(format: "%.3f", History.gini(initial.map { history.views[$0] })))")
            for name in policies {
                let started = Date()
                let metrics = try await Simulator(world: world).run(makePolicy(name, seed: UInt64(s + 1)))
                runs[name, default: []].append(metrics)
                progress("seed \(s + 1) \(name): \(String(format: "%.1f", metrics.watchSecondsPerSession)) s watched per session (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
            }
        }
        return Report(seeds: seeds, viewers: viewers, runs: runs)
    }

    func makePolicy(_ name: String, seed: UInt64) throws -> any FeedPolicy {
        switch name {
        case "reel": ReelPolicy(directory: "\(scratch)/reel-seed\(seed)")
        // The first fixed-weight scorer (decision 0008), for comparison with the pipeline.
        case "reelInterest": ReelPolicy(directory: "\(scratch)/reel-interest-seed\(seed)", ranker: "interest")
        case "random": RandomPolicy(seed: seed)
        case "popular": PopularPolicy()
        case "followOnly": FollowOnlyPolicy(seed: seed)
        case "oracle": OraclePolicy()
        default: throw SimulationError("unknown policy \"\(name)\": use \((Simulation.policyNames + Simulation.extraPolicyNames).joined(separator: ", "))")
        }
    }
}

public struct SimulationError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
