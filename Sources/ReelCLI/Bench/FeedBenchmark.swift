import ArgumentParser
import Foundation
import ReelDomain
import ReelJournal
import ReelRecommend
import ReelRuntime
import ReelViews
import ReelWorkloads
import Synchronization

struct FeedBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "The recommender pipeline over a large catalogue: candidates per source, per-stage counts, latency and throughput.",
        discussion: """
            Writes the shared domain workload (--videos published videos, --users viewers, --session-events of
            viewing history) to a scratch journal, folds the recommender model (measuring the process's resident
            growth while it does: the model's memory) and then the views from it, then serves
            --requests For You pages of 10 items from --clients concurrent tasks. Then, as on a running platform,
            --fresh-videos new uploads are published and --live-sessions sessions are under way (the workload's
            next sessions, not yet ended); requests come from those live sessions. It times choosing a page
            (sources, coarse scorer, ranker, re-rank, under the model's and the views' shared locks); the
            FeedServed append is measured by `reel bench http`.
            """)
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Published videos.") var videos = 1_000_000
    @Option(help: "Registered viewers.") var users = 100_000
    @Option(help: "Creators.") var creators = 10_000
    @Option(help: "Viewing-history events.") var sessionEvents = 2_000_000
    @Option(help: "Videos published in the last hour (new, few plays: the exploration pool).") var freshVideos = 2_000
    @Option(help: "Sessions under way when the requests arrive (requests come from them).") var liveSessions = 300
    @Option(help: "Feed requests timed.") var requests = 5_000
    @Option(help: "Concurrent clients.") var clients = 8
    @Option(help: "Scratch directory (default: a new one under /tmp).") var scratch: String?

    func run() async throws {
        let dir = try makeScratch(scratch)
        defer { if scratch == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        defer { journal.close() }
        let t0 = monotonicSeconds()
        let workload = DomainWorkload(users: users, creators: creators, videos: videos)
        let (_, lastSession) = try await workload.writeHistory(to: journal, sessionEvents: sessionEvents, batch: 1024)
        let live = workload.live(after: lastSession, freshVideos: freshVideos, liveSessions: liveSessions)
        try await workload.append(live, to: journal, batch: 1024)
        log(String(format: "workload: %d events written (%.1f s)", journal.nextPosition, monotonicSeconds() - t0))

        let views = ProjectionRunner(journal: journal, projection: try ViewStore(path: nil))
        var modelPolicy = ProjectionRunner<RecommenderStore>.Policy()
        modelPolicy.decryptPersonal = false
        let model = ProjectionRunner(journal: journal, projection: RecommenderStore(path: nil), policy: modelPolicy)
        // The model first and alone, so the process's growth while folding it is the model's memory.
        let residentBefore = residentBytes()
        let modelSeconds = try await Self.fold(model, monotonicSeconds())
        let modelBytes = residentBytes() - residentBefore
        let viewSeconds = try await Self.fold(views, monotonicSeconds())
        let (modelVideos, modelViewers) = model.read { ($0.model.videos.count, $0.model.users.count) }
        log(String(format: "folded: model %.1f s (index %d vectors, %d videos, %d viewers, %.0f MB resident growth), views %.1f s",
                   modelSeconds, model.read { $0.model.index.liveCount }, modelVideos, modelViewers, Double(modelBytes) / 1e6, viewSeconds))

        // The live sessions and their viewers, in a fixed order; requests arrive just after the last event.
        let sessions: [(session: UInt64, viewer: UInt64, region: String)] = live.compactMap {
            if case .sessionStarted(let e) = $0.1 { return (e.session, e.viewer, e.region) } else { return nil }
        }
        guard !sessions.isEmpty else { throw ValidationError("--live-sessions must be at least 1") }
        let lastEvent = live.last.map { $0.1.occurredAt } ?? workload.start
        let at = lastEvent.adding(microseconds: 3_000_000)
        let viewers = Set(sessions.map(\.viewer))
        let shared = FeedBenchShared()
        let requests = self.requests
        let started = monotonicSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while true {
                        let i = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
                        if i >= requests { return }
                        let (session, viewer, region) = sessions[Int(SplitMix64.mix(0xFEED, UInt64(i)) % UInt64(sessions.count))]
                        let request = FeedRequest(viewer: viewer, sessionID: session, recentlyServed: [], count: 10, at: at, seed: UInt64(i))
                        let t = monotonicSeconds()
                        var trace = FeedPipeline.Trace()
                        let page = model.readShared { m in
                            views.readShared { v in FeedPipeline.select(model: m.model, views: v, request: request, session: session, region: region, trace: &trace) }
                        }
                        let elapsed = monotonicSeconds() - t
                        guard page?.count == 10 else { throw ValidationError("request \(i) served \(page?.count ?? 0) items") }
                        shared.latencies.withLock { $0.append(elapsed) }
                        shared.traces.withLock { $0.append(trace) }
                        await Task.yield()
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = monotonicSeconds() - started
        let ms = shared.latencies.withLock { $0 }.map { $0 * 1000 }
        let all = shared.traces.withLock { $0 }
        var perSource: [String: Double] = [:]
        for t in all { for (k, v) in t.candidatesPerSource { perSource[k, default: 0] += Double(v) } }
        let n = Double(all.count)
        let sources = perSource.keys.sorted().map { String(format: "\"%@\": %.1f", $0, perSource[$0]! / n) }.joined(separator: ", ")
        let mean = { (f: (FeedPipeline.Trace) -> Int) in all.reduce(0.0) { $0 + Double(f($1)) } / n }
        let fields: [(String, String)] = [
            ("videos", "\(videos)"), ("users", "\(users)"), ("freshVideos", "\(freshVideos)"), ("liveSessions", "\(sessions.count)"), ("viewers", "\(viewers.count)"), ("requests", "\(requests)"),
            ("clients", "\(clients)"), ("p50Millis", String(format: "%.3f", quantile(ms, 0.5))), ("p99Millis", String(format: "%.3f", quantile(ms, 0.99))),
            ("feedsPerSecond", String(format: "%.0f", Double(requests) / seconds)), ("candidatesPerSource", "{\(sources)}"),
            ("sourcesUsed", String(format: "%.2f", all.reduce(0.0) { $0 + Double($1.candidatesPerSource.values.filter { $0 > 0 }.count) } / n)),
            ("scoredCandidates", String(format: "{\"candidates\": %.1f, \"coarse\": %.1f, \"ranked\": %.1f}", mean(\.candidates), mean(\.coarseScored), mean(\.ranked))),
            ("viewsFoldSeconds", String(format: "%.1f", viewSeconds)), ("modelFoldSeconds", String(format: "%.1f", modelSeconds)),
            ("modelResidentGrowthBytes", "\(modelBytes)"), ("modelVideos", "\(modelVideos)"), ("modelViewers", "\(modelViewers)"),
        ]
        if json {
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (k, v) in fields { print("\(k): \(v)") }
        }
    }

    static func fold<P: Projection>(_ runner: ProjectionRunner<P>, _ start: Double) async throws -> Double {
        try await Task.detached { () throws -> Double in
            try runner.catchUp()
            return monotonicSeconds() - start
        }.value
    }
}

/// What the benchmark's clients share.
final class FeedBenchShared: Sendable {
    let next = Atomic<Int>(0)
    let latencies = Mutex<[Double]>([])
    let traces = Mutex<[FeedPipeline.Trace]>([])
}
