import Foundation
import Logging
import Reel
import Synchronization

/// The simulated world's clock for the engine: simulated milliseconds after 2026-01-01, never going back
/// (sessions overlap in simulated time but run one after another). It starts a week early, with the history.
final class SimulatedClock: JournalClock, Sendable {
    static let base = Timestamp(seconds: 1_767_225_600)
    private let millis = Mutex<Int64>(-History.weekMillis)
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
    /// With `REEL_SIM_DEBUG`: what each candidate source costs the session (`SourceDiagnostics`).
    private var diagnostics: SourceDiagnostics?

    init(directory: String, ranker: String = "pipeline") {
        self.directory = directory
        self.ranker = ranker
        name = ranker == "pipeline" ? "reel" : "reelInterest"
    }

    func prepare(world: World, state: SimulationState) async throws {
        self.world = world
        if ProcessInfo.processInfo.environment["REEL_SIM_DEBUG"] != nil {
            diagnostics = SourceDiagnostics(world: world)
        }
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
        try await replay(state.history)
    }

    /// The week before the run as the engine would have logged it: the background audience's sessions, each
    /// play reported as in the run (not served by this engine, as after an import).
    private func replay(_ history: History) async throws {
        var audience: [UInt64] = []
        for i in history.audience.indices {
            audience.append(
                try await engine.registerUser(
                    handle: "audience\(i)", region: "US", email: "a\(i)@sim.invalid", displayName: "Audience \(i)"))
        }
        for s in history.sessions {
            var time = s.start
            clock.advance(to: time)
            let session = try await engine.startSession(viewer: audience[s.audience], context: SessionContext(region: "US"))
            for (video, outcome) in s.plays {
                clock.advance(to: time)
                try await report(outcome, video: video, session: session)
                time += Int64(outcome.fraction * Double(world.catalogue.videos[video].durationMillis))
            }
            clock.advance(to: time)
            try await engine.endSession(session)
        }
        await engine.waitForViews()
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
        diagnostics?.released(video)
    }

    func sessionStarted(_ plan: World.SessionPlan, at time: Int64) async throws {
        clock.advance(to: time)
        diagnostics?.sessionStarted(plan)
        sessionIDs[key(plan)] = try await engine.startSession(
            viewer: viewerIDs[plan.viewer], context: SessionContext(region: "US"))
    }

    func page(_ r: PageRequest) async throws -> [Int] {
        clock.advance(to: r.time)
        // Views must hold everything before the request, or the page would depend on thread timing.
        await engine.waitForViews()
        let page = try await engine.feed(session: sessionIDs[key(r.plan)]!, count: r.count)
        diagnostics?.served(
            page.items.compactMap { item in videoIndex[item.video.id].map { ($0, item.source) } }, for: r)
        return page.items.compactMap { videoIndex[$0.video.id] }
    }

    func observed(video: Int, outcome: ResponseModel.Outcome, plan: World.SessionPlan, at time: Int64) async throws {
        clock.advance(to: time)
        let session = sessionIDs[key(plan)]!
        let duration = world.catalogue.videos[video].durationMillis
        let watched = min(outcome.watchMillis(duration: duration), duration * UInt64(1 + outcome.loops))
        diagnostics?.observed(video: video, outcome: outcome, watchedSeconds: Double(watched) / 1000, plan: plan)
        try await report(outcome, video: video, session: session)
        if outcome.followed {
            try await engine.follow(
                user: viewerIDs[plan.viewer], creator: creatorIDs[world.creatorOf[video]], session: session)
        }
    }

    /// Reports one impression's watch or skip, like and share.
    private func report(_ outcome: ResponseModel.Outcome, video: Int, session: UInt64) async throws {
        let id = videoIDs[video]
        let duration = world.catalogue.videos[video].durationMillis
        let watched = min(outcome.watchMillis(duration: duration), duration * UInt64(1 + outcome.loops))
        if outcome.skipped {
            try await engine.engage(session: session, .skip(video: id, watchedMillis: min(watched, duration)))
        } else {
            try await engine.engage(
                session: session,
                .watch(video: id, watchMillis: watched, loops: UInt64(outcome.loops), completed: outcome.completed))
        }
        if outcome.liked { try await engine.engage(session: session, .like(video: id)) }
        if outcome.shared { try await engine.engage(session: session, .share(video: id, channel: "sim")) }
    }

    func sessionEnded(_ plan: World.SessionPlan, at time: Int64) async throws {
        clock.advance(to: time)
        try await engine.endSession(sessionIDs.removeValue(forKey: key(plan))!)
        diagnostics?.sessionEnded(plan)
    }

    func finish() async throws {
        if let diagnostics { FileHandle.standardError.write(Data(diagnostics.report(policy: name).utf8)) }
        await engine.shutdown()
        try await running?.value
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func key(_ plan: World.SessionPlan) -> Int { plan.viewer * World.sessionsPerViewer + plan.index }
}
