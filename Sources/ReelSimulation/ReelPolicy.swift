import Foundation
import Logging
import Reel
import Synchronization

/// The simulated world's clock for the engine: simulated milliseconds after 2026-01-01, never going back
/// (sessions overlap in simulated time but run one after another).
final class SimulatedClock: JournalClock, Sendable {
    static let base = Timestamp(seconds: 1_767_225_600)
    private let millis = Mutex<Int64>(0)
    func advance(to time: Int64) { millis.withLock { $0 = max($0, time) } }
    func now() -> Timestamp { Timestamp(microseconds: Self.base.microseconds + millis.withLock { $0 } * 1000) }
}

/// The full pipeline through the engine's public API, as a host would use it: the catalogue is registered
/// and published, each session starts, asks for feeds and reports every impression.
final class ReelPolicy: FeedPolicy {
    let name: String
    private let ranker: String
    private let clock = SimulatedClock()
    private var engine: ReelEngine!
    private var running: Task<Void, any Error>?
    private let directory: String
    private var creatorIDs: [UInt64] = []
    private var viewerIDs: [UInt64] = []
    private var videoIDs: [UInt64] = []
    private var videoIndex: [UInt64: Int] = [:]
    private var sessionIDs: [Int: UInt64] = [:]
    private var world: World!
    /// With `REEL_SIM_DEBUG`: per candidate source and kind of page (`@new`: the viewer's first session,
    /// `@start`: a later session's first page, `@later`: the pages after it), impressions, skip rate and watched
    /// seconds, to see what each source costs the session (a skip is a fifth of the boredom that ends it).
    private let debugSources = ProcessInfo.processInfo.environment["REEL_SIM_DEBUG"] != nil
    private var servedSource: [Int: String] = [:]
    private var pagesInSession: [Int: Int] = [:]
    private var viewerSessions: [Int: Int] = [:]
    private var bySource: [String: (impressions: Int, skips: Int, seconds: Double, repeats: Int)] = [:]
    private var recentInSession: [Int: [(Int, Int)]] = [:]
    private var releasedFresh: [Int] = []
    private var suitedFresh: [String: (pages: Int, suited: Int)] = [:]
    private var exploreBucket: [Int: String] = [:]
    private var byExploreBucket: [String: (impressions: Int, skips: Int, seconds: Double)] = [:]

    init(directory: String, ranker: String = "pipeline") {
        self.directory = directory
        self.ranker = ranker
        name = ranker == "pipeline" ? "reel" : "reelInterest"
    }

    func prepare(world: World, state: SimulationState) async throws {
        self.world = world
        try? FileManager.default.removeItem(atPath: directory)
        // The recommender's settings come from the environment (`REEL_RECOMMENDER_EXPLORE_EVERY=3 reel
        // simulate`), as for a server, so a setting can be judged before it is deployed.
        var config = try await ReelConfiguration.load()
        config.dataDirectory = directory
        config.journal.syncIntervalMillis = 1000
        config.journal.feedRetentionDays = 0
        config.media.maxDurationSeconds = 3600
        config.views.readYourWritesTimeoutMillis = 30_000
        config.views.checkpointEvents = 1_000_000
        config.views.checkpointIntervalSeconds = 60
        // A fallback chosen by the wall clock would make the run depend on machine load.
        config.recommender.timeBudgetMillis = 60_000
        config.recommender.ranker = ranker
        var logger = Logger(label: "reel.simulate")
        logger.logLevel = .warning
        engine = try ReelEngine(configuration: config, logger: logger, build: "simulate", clock: clock)
        let engine = self.engine!
        running = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(2)) }
        for (i, _) in world.creators.enumerated() {
            creatorIDs.append(
                try await engine.registerUser(
                    handle: "creator\(i)", region: "US", email: "c\(i)@sim.invalid", displayName: "Creator \(i)"))
        }
        for i in world.viewers.indices {
            viewerIDs.append(
                try await engine.registerUser(
                    handle: "viewer\(i)", region: "US", email: "v\(i)@sim.invalid", displayName: "Viewer \(i)"))
        }
        videoIDs = Array(repeating: 0, count: world.catalogue.videos.count)
        for v in world.catalogue.videos.indices where world.release[v] == nil { try await publish(v) }
    }

    private func publish(_ v: Int) async throws {
        let video = world.catalogue.videos[v]
        let id = try await engine.addPublishedVideo(
            creator: creatorIDs[world.creatorOf[v]],
            metadata: VideoMetadata(
                caption: "video \(video.id)", hashtags: video.tags.map { "tag\($0)" }, sound: video.sound),
            durationMillis: video.durationMillis)
        videoIDs[v] = id
        videoIndex[id] = v
    }

    func released(video: Int, at time: Int64) async throws {
        clock.advance(to: time)
        try await publish(video)
        releasedFresh.append(video)
    }

    func sessionStarted(_ plan: World.SessionPlan, at time: Int64) async throws {
        clock.advance(to: time)
        viewerSessions[plan.viewer, default: 0] += 1
        sessionIDs[key(plan)] = try await engine.startSession(
            viewer: viewerIDs[plan.viewer], context: SessionContext(region: "US"))
    }

    func page(_ r: PageRequest) async throws -> [Int] {
        clock.advance(to: r.time)
        // Views must hold everything before the request, or the page would depend on thread timing.
        await engine.waitForViews()
        let page = try await engine.feed(session: sessionIDs[key(r.plan)]!, count: r.count)
        if debugSources {
            pagesInSession[key(r.plan), default: 0] += 1
            let kind =
                viewerSessions[r.plan.viewer, default: 0] <= 1
                ? "@new" : pagesInSession[key(r.plan)]! == 1 ? "@start" : "@later"
            // Capacity: new (released within a day), unseen videos that suit this viewer (hidden affinity ≥ 2).
            let viewer = world.viewers[r.plan.viewer]
            var suited = 0
            for v in releasedFresh.reversed() {
                guard r.time - world.release[v]! < World.dayMillis else { break }
                let a = ResponseModel.affinity(
                    taste: viewer.taste, tags: world.catalogue.videos[v].tags,
                    favourite: viewer.favourites.contains(world.creatorOf[v]))
                if a >= 2 { suited += 1 }
            }
            suitedFresh[kind, default: (0, 0)].pages += 1
            suitedFresh[kind, default: (0, 0)].suited += suited
            for item in page.items {
                guard let v = videoIndex[item.video.id] else { continue }
                servedSource[v] = item.source + kind
                if item.source == "explore" {
                    // Whom exploration reaches: the viewer's hidden affinity for the video (rounded up).
                    let viewer = world.viewers[r.plan.viewer]
                    let a = ResponseModel.affinity(
                        taste: viewer.taste, tags: world.catalogue.videos[v].tags,
                        favourite: viewer.favourites.contains(world.creatorOf[v]))
                    exploreBucket[v] = String(format: "a%.0f", a.rounded(.up))
                }
            }
        }
        return page.items.compactMap { videoIndex[$0.video.id] }
    }

    func observed(video: Int, outcome: ResponseModel.Outcome, plan: World.SessionPlan, at time: Int64) async throws {
        clock.advance(to: time)
        let session = sessionIDs[key(plan)]!
        let id = videoIDs[video]
        let duration = world.catalogue.videos[video].durationMillis
        let watched = min(outcome.watchMillis(duration: duration), duration * UInt64(1 + outcome.loops))
        if debugSources {
            let source = servedSource[video] ?? "?"
            bySource[source, default: (0, 0, 0, 0)].impressions += 1
            bySource[source, default: (0, 0, 0, 0)].skips += outcome.skipped ? 1 : 0
            bySource[source, default: (0, 0, 0, 0)].seconds += Double(watched) / 1000
            // The simulator's repeat rule (creator or main hashtag among the session's last five): half a skip.
            let recentKey = key(plan)
            let creator = world.creatorOf[video]
            let mainTag = world.catalogue.videos[video].tags.first ?? -1
            if recentInSession[recentKey, default: []].contains(where: {
                $0.0 == creator || ($0.1 == mainTag && mainTag >= 0)
            }) {
                bySource[source, default: (0, 0, 0, 0)].repeats += 1
            }
            recentInSession[recentKey, default: []].append((creator, mainTag))
            if recentInSession[recentKey]!.count > 5 { recentInSession[recentKey]!.removeFirst() }
            if source.hasPrefix("explore"), let b = exploreBucket[video] {
                byExploreBucket[b, default: (0, 0, 0)].impressions += 1
                byExploreBucket[b, default: (0, 0, 0)].skips += outcome.skipped ? 1 : 0
                byExploreBucket[b, default: (0, 0, 0)].seconds += Double(watched) / 1000
            }
        }
        if outcome.skipped {
            try await engine.engage(session: session, .skip(video: id, watchedMillis: min(watched, duration)))
        } else {
            try await engine.engage(
                session: session,
                .watch(video: id, watchMillis: watched, loops: UInt64(outcome.loops), completed: outcome.completed))
        }
        if outcome.liked { try await engine.engage(session: session, .like(video: id)) }
        if outcome.shared { try await engine.engage(session: session, .share(video: id, channel: "sim")) }
        if outcome.followed {
            try await engine.follow(
                user: viewerIDs[plan.viewer], creator: creatorIDs[world.creatorOf[video]], session: session)
        }
    }

    func sessionEnded(_ plan: World.SessionPlan, at time: Int64) async throws {
        clock.advance(to: time)
        try await engine.endSession(sessionIDs.removeValue(forKey: key(plan))!)
        recentInSession[key(plan)] = nil
    }

    func finish() async throws {
        if debugSources {
            func lines(_ table: [String: (impressions: Int, skips: Int, seconds: Double)]) -> String {
                table.sorted { $0.key < $1.key }.map { k, v in
                    String(
                        format: "%@ %d impressions, skip rate %.3f, %.1f s each", k, v.impressions,
                        Double(v.skips) / Double(max(1, v.impressions)), v.seconds / Double(max(1, v.impressions)))
                }.joined(separator: "; ")
            }
            let sources = bySource.sorted { $0.key < $1.key }.map { k, v in
                String(
                    format: "%@ %d impressions, skip rate %.3f, repeat rate %.3f, %.1f s each", k, v.impressions,
                    Double(v.skips) / Double(max(1, v.impressions)), Double(v.repeats) / Double(max(1, v.impressions)),
                    v.seconds / Double(max(1, v.impressions)))
            }
            FileHandle.standardError.write(Data("[debug] \(name) by source: \(sources.joined(separator: "; "))\n".utf8))
            // Exploration by the world's hidden affinity (a, rounded up: a0 is none, a3 the most a tag match gives).
            FileHandle.standardError.write(
                Data(
                    "[debug] \(name) suited new videos per page: \(suitedFresh.sorted { $0.key < $1.key }.map { "\($0.key) \(Double($0.value.suited) / Double(max(1, $0.value.pages)))" })\n"
                        .utf8))
            FileHandle.standardError.write(
                Data("[debug] \(name) exploration by hidden affinity: \(lines(byExploreBucket))\n".utf8))
        }
        await engine.shutdown()
        try await running?.value
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func key(_ plan: World.SessionPlan) -> Int { plan.viewer * World.sessionsPerViewer + plan.index }
}
