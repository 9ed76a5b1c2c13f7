import Foundation
import Logging
import ReelDomain
import ReelJournal
import ReelRecommend
import ReelRuntime
import ReelViews
import ServiceLifecycle
import Synchronization

/// The engine a host embeds: one object that owns a data directory and offers typed commands and queries
/// for everything the domain does. Create it from a ``ReelConfiguration`` and run it as a swift-service-lifecycle
/// `Service`; graceful shutdown drains commands in flight, snapshots resident entities, checkpoints the views
/// and closes the journal.
///
/// ```swift
/// let engine = try ReelEngine(configuration: ReelConfiguration(dataDirectory: "./data"))
/// let group = ServiceGroup(services: [engine], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public final class ReelEngine: Service, Sendable {
    public let configuration: ReelConfiguration
    let logger: Logger
    let clock: any JournalClock
    let lock: DataDirectoryLock
    let keys: KeyStore
    let journal: Journal
    let snapshotStore: SnapshotStore
    let snapshots: SnapshotWriter
    let viewRunner: ProjectionRunner<ViewStore>
    /// The recommender's model and index: a projection of its own, checkpointed at its own position.
    let modelRunner: ProjectionRunner<RecommenderStore>
    /// Each session's latest engagement position, so its next feed waits until the model has learned it.
    let sessionWrites = Mutex<[UInt64: UInt64]>([:])
    let users: EntityRegistry<UserEntity>
    let sessions: EntityRegistry<SessionEntity>
    let videos: EntityRegistry<VideoEntity>
    let creators: EntityRegistry<CreatorEntity>
    let moderation: EntityRegistry<ModerationCaseEntity>
    let ids: IDGenerator
    let gate = CommandGate()
    let metrics = EngineMetrics()
    let subscriptions = Mutex<[any SubscriptionControl]>([])
    private let phase = Mutex(Phase.created)
    /// The journal position views must reach before the engine reports ready.
    private let readyAt: UInt64
    private let startedReady = Atomic<Bool>(false)
    let build: String

    enum Phase: Sendable { case created, running, stopping, stopped }

    /// The files of a data directory.
    public struct Layout: Sendable {
        public let directory: String
        public init(_ directory: String) { self.directory = directory }
        public var journal: String { "\(directory)/journal" }
        public var keys: String { "\(directory)/keys.sqlite" }
        public var snapshots: String { "\(directory)/snapshots.sqlite" }
        public var views: String { "\(directory)/views.sqlite" }
        public var recommender: String { "\(directory)/recommender.model" }
        public var blobs: String { "\(directory)/blobs" }
        /// Resumable uploads in progress (session files and chunks; not part of backups).
        public var uploads: String { "\(directory)/uploads" }
    }

    /// Opens the data directory (creating it when new), locks it, recovers the journal and loads the views'
    /// checkpoint. Blocking (recovery reads the journal's tail): call it before starting the service group.
    public init(
        configuration: ReelConfiguration, logger: Logger = Logger(label: "reel"), build: String = ReelBuild.current,
        clock: any JournalClock = SystemClock()
    ) throws(ReelError) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.build = build
        let layout = Layout(configuration.dataDirectory)
        let views: ViewStore
        lock = try DataDirectoryLock.acquire(directory: layout.directory)
        let keysExisted = FileManager.default.fileExists(atPath: layout.keys)  // before anything creates it
        // Checked at every start, not only at creation: a directory restored or copied by hand may be open.
        for tightened in [FilePrivacy.restrict(layout.directory), FilePrivacy.prepareSecretFile(layout.keys)].compactMap({ $0 }) {
            logger.warning("made private (it was readable by other local users): \(tightened)")
        }
        do {
            keys = try KeyStore(path: layout.keys)
            journal = try Journal.open(configuration.journalConfiguration(directory: layout.journal, cipher: keys, clock: clock))
            if !keysExisted, !configuration.journal.allowMissingSecretStores, let sealed = try Self.firstSealedPosition(journal) {
                // Starting would read every person as erased, for ever: refuse, and leave no new empty key
                // store behind (the next start must refuse too).
                journal.close()
                try? FileManager.default.removeItem(atPath: layout.keys)
                throw ReelError(
                    .failure, "keyStoreMissing",
                    "\(layout.keys) is missing, but the journal holds personal data sealed under its keys (the first at position \(sealed)): "
                        + "starting without it would make every person's handle, comments and captions unreadable for ever. "
                        + "Restore keys.sqlite from a backup (`reel backup restore`), or set journal.allowMissingSecretStores "
                        + "(REEL_JOURNAL_ALLOW_MISSING_SECRET_STORES=true) to accept that loss.")
            }
            if !journal.recovery.isClean { logger.notice("journal recovered: \(journal.recovery)") }
            // Derived stores that fail their checks are deleted and rebuilt from the journal, said out loud.
            snapshotStore = try SnapshotStore.openOrRebuild(path: layout.snapshots)
            if let damage = snapshotStore.discardedDamage {
                logger.error("\(layout.snapshots) was damaged and is rebuilt from the journal as entities activate: \(damage)")
            }
            snapshots = SnapshotWriter(store: snapshotStore)
            views = try ViewStore.openOrRebuild(path: layout.views, completeFactor: configuration.views.completeCheckpointFactor)
            if let damage = views.discardedDamage {
                logger.error("\(layout.views) was damaged and is rebuilt from the journal before the server is ready: \(damage)")
            }
        } catch {
            throw ReelError.from(error)
        }
        var viewPolicy = ProjectionRunner<ViewStore>.Policy()
        viewPolicy.checkpointEvents = UInt64(configuration.views.checkpointEvents)
        viewPolicy.checkpointInterval = .seconds(configuration.views.checkpointIntervalSeconds)
        viewRunner = ProjectionRunner(journal: journal, projection: views, policy: viewPolicy)
        var modelPolicy = ProjectionRunner<RecommenderStore>.Policy()
        modelPolicy.checkpointEvents = UInt64(configuration.recommender.checkpointEvents)
        modelPolicy.checkpointInterval = .seconds(configuration.recommender.checkpointIntervalSeconds)
        modelPolicy.decryptPersonal = false
        let model = RecommenderStore(path: layout.recommender)
        modelRunner = ProjectionRunner(journal: journal, projection: model, policy: modelPolicy)
        let journalEnd = journal.nextPosition
        readyAt = journalEnd
        // A checkpoint past the journal's end means acknowledged events are gone from the journal (a truncated
        // or deleted segment): starting would silently drop them and then trap on the arithmetic below.
        let checkpoints = [("views (views.sqlite)", views.nextPosition), ("recommender model (recommender.model)", model.nextPosition)]
        if let (what, reached) = checkpoints.filter({ $0.1 > journalEnd }).max(by: { $0.1 < $1.1 }) {
            throw ReelError(
                .failure, "journalBehindCheckpoint",
                "the journal in \(layout.journal) ends at position \(journalEnd) but the \(what) had already folded up to \(reached): "
                    + "\(reached - journalEnd) acknowledged events are missing from the journal (a damaged, cut or deleted segment). "
                    + "Restore the data directory from a backup (`reel backup restore`); only to accept the loss, delete views.sqlite, "
                    + "snapshots.sqlite and recommender.model, which are rebuilt from what the journal still holds.")
        }
        var policy = EntityPolicy()
        policy.snapshotEvery = configuration.snapshots.everyEvents
        policy.snapshotLookupMinimumEvents = configuration.snapshots.minimumEvents
        policy.idleTimeout = .seconds(configuration.actors.idleTimeoutSeconds)
        policy.maxResidentEntities = configuration.actors.maxResidentEntities
        policy.maxResidentBytes = configuration.actors.maxResidentBytes
        let lookup: any DomainLookup = views.lookup
        users = EntityRegistry(journal: journal, snapshots: snapshots, context: lookup, policy: policy, upcast: EventCatalog.upcast)
        sessions = EntityRegistry(journal: journal, snapshots: snapshots, context: lookup, policy: policy, upcast: EventCatalog.upcast)
        videos = EntityRegistry(journal: journal, snapshots: snapshots, context: lookup, policy: policy, upcast: EventCatalog.upcast)
        creators = EntityRegistry(journal: journal, snapshots: snapshots, context: lookup, policy: policy, upcast: EventCatalog.upcast)
        moderation = EntityRegistry(journal: journal, snapshots: snapshots, context: lookup, policy: policy, upcast: EventCatalog.upcast)
        ids = IDGenerator(clock: clock)
        let behind = readyAt - min(views.nextPosition, model.nextPosition)
        logger.info(
            "opened \(layout.directory): journal at position \(readyAt), views at \(views.nextPosition), model at \(model.nextPosition)\(behind > 0 ? " (\(behind) events to fold before ready)" : "")")
    }

    /// The position of the first sign-up that gave an email and a display name (a person who has an account,
    /// unlike an imported user), or nil. A scan from the start: only a server starting without its accounts asks.
    public func firstSignUpPosition() throws(ReelError) -> UInt64? {
        do {
            var cursor = journal.events(from: 0, to: journal.nextPosition, decryptPersonal: true)
            while var e = try cursor.next() {
                guard e.type == UserRegistered.type else { continue }
                try EventCatalog.upcasters.upcast(&e)
                // Imports register people with an empty email: they never had an account.
                if case .userRegistered(_, let profile?)? = try ReelEvent.decode(e), !profile.email.isEmpty { return e.position }
            }
            return nil
        } catch {
            throw ReelError.from(error)
        }
    }

    /// The position of the first event carrying sealed personal data, or nil (a scan from the start; only a
    /// start without a key store asks).
    static func firstSealedPosition(_ journal: Journal) throws(JournalError) -> UInt64? {
        var cursor = journal.events(from: 0, to: journal.nextPosition)
        while let e = try cursor.next() {
            if e.personal != nil { return e.position }
        }
        return nil
    }

    // MARK: Lifecycle

    /// Runs until graceful shutdown (or cancellation), then shuts down cleanly. Views catch up in the
    /// background; ``isReady`` turns true once they have folded everything that was in the journal at open.
    public func run() async throws {
        guard phase.withLock({ p in
            guard p == .created else { return false }
            p = .running
            return true
        }) else { throw ReelError(.invalid, "alreadyRunning", "an engine runs once; create a new one to run again") }
        viewRunner.start()
        modelRunner.start()
        gate.open()
        for s in subscriptions.withLock({ $0 }) { s.start() }
        await withTaskCancellationOrGracefulShutdownHandler {
            await self.maintain()
        } onCancelOrGracefulShutdown: {
            self.gate.close()
        }
        await shutdown()
    }

    /// The periodic work while running: passivation, readiness, gauges.
    private func maintain() async {
        var lastMaintenance = ContinuousClock.now
        var lastCompaction: ContinuousClock.Instant?
        var lastViewRetention = ContinuousClock.now
        let interval = Duration.seconds(configuration.actors.maintenanceIntervalSeconds)
        var lastError: String?
        var lastProgress = ContinuousClock.now
        while !gate.isClosed {
            try? await Task.sleep(for: .milliseconds(50))
            // Catching up after start (or rebuilding views of an older schema) can take a while: say how far.
            if !isReady, ContinuousClock.now - lastProgress >= .seconds(2) {
                lastProgress = .now
                // Capped at the start's target: events appended since (or at shutdown) are not part of it.
                let folded = min(readyAt, viewRunner.read { $0.nextPosition })
                let learned = modelRunner.read { $0.nextPosition }
                logger.info("views catching up: \(folded) of \(readyAt) events folded (\(readyAt == 0 ? 100 : folded * 100 / readyAt)%), model \(learned)")
            }
            if let e = (viewRunner.error ?? modelRunner.error).map({ "\($0)" }), e != lastError {
                logger.error("projections stopped folding: \(e)")
                lastError = e
            }
            metrics.update(lag: viewRunner.lag, resident: residentCounts)
            metrics.update(modelLag: modelRunner.lag)
            metrics.update(journal: journal.statistics)
            if configuration.journal.feedRetentionDays > 0, isReady, lastCompaction.map({ ContinuousClock.now - $0 >= .seconds(6 * 3600) }) ?? true {
                lastCompaction = .now
                do {
                    let r = try await compactServedFeeds(olderThanDays: configuration.journal.feedRetentionDays)
                    if r.segmentsRewritten > 0 {
                        logger.info("compacted \(r.eventsRewritten) served feeds in \(r.segmentsRewritten) segments: \(r.bytesBefore) → \(r.bytesAfter) bytes")
                    }
                } catch {
                    logger.warning("journal compaction failed (will retry in 6 hours): \(error)")
                }
            }
            if isReady, ContinuousClock.now - lastViewRetention >= .seconds(3600) {
                lastViewRetention = .now
                await thinViewHistory()
            }
            if ContinuousClock.now - lastMaintenance >= interval {
                lastMaintenance = .now
                _ = await users.maintain()
                _ = await sessions.maintain()
                _ = await videos.maintain()
                _ = await creators.maintain()
                _ = await moderation.maintain()
            }
        }
    }

    /// Stops taking commands, waits for those in flight, snapshots every resident entity, checkpoints views and
    /// subscriptions, and closes the journal. Called by `run` on graceful shutdown; idempotent.
    public func shutdown() async {
        let first = phase.withLock { p in
            defer { p = .stopping }
            return p != .stopping && p != .stopped
        }
        guard first else { return }
        gate.close()
        await gate.drained()
        _ = await users.passivateAll()
        _ = await sessions.passivateAll()
        _ = await videos.passivateAll()
        _ = await creators.passivateAll()
        _ = await moderation.passivateAll()
        snapshots.close()
        for s in subscriptions.withLock({ $0 }) { s.stop(logger: logger) }
        do {
            try viewRunner.stop()
            try viewRunner.catchUp()
            try viewRunner.checkpoint()
        } catch {
            logger.error("views could not checkpoint at shutdown (they will catch up from the previous one): \(error)")
        }
        do {
            try modelRunner.stop()
            try modelRunner.catchUp()
            try modelRunner.checkpoint()
        } catch {
            logger.error("the recommender could not checkpoint at shutdown (it will catch up from the previous one): \(error)")
        }
        journal.close()
        lock.release()
        phase.withLock { $0 = .stopped }
        logger.info("stopped; journal closed at position \(journal.nextPosition)")
    }

    /// False until the views have folded what the journal held at open (so queries answer from complete
    /// views), and again once shutdown begins.
    public var isReady: Bool {
        guard phase.withLock({ $0 == .running }), !gate.isClosed else { return false }
        if startedReady.load(ordering: .relaxed) { return true }
        let folded = viewRunner.read { $0.nextPosition }
        guard folded >= readyAt, modelRunner.read({ $0.nextPosition }) >= readyAt else { return false }
        startedReady.store(true, ordering: .relaxed)
        logger.info("ready: views caught up to position \(folded)")
        return true
    }

    /// A summary for health endpoints and the log.
    public var status: EngineStatus {
        EngineStatus(
            ready: isReady, journalPosition: journal.nextPosition, viewsPosition: viewRunner.read { $0.nextPosition },
            viewsLag: viewRunner.lag, residentEntities: residentCounts, viewsError: viewRunner.error.map { "\($0)" })
    }

    var residentCounts: [String: Int] {
        ["user": users.residentCount, "session": sessions.residentCount, "video": videos.residentCount, "creator": creators.residentCount,
            "moderation": moderation.residentCount,
        ]
    }

    var now: Timestamp { clock.now() }

    /// Thins the views' checkpoint history with age (`SnapshotRetention.standard`), hourly, on a thread of
    /// its own: merging checkpoints holds the views (folding waits) for as long as it takes.
    private func thinViewHistory() async {
        let (runner, now, logger) = (viewRunner, self.now, self.logger)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                do {
                    let removed = try runner.read { try $0.applyRetention(now: now) }
                    if removed > 0 { logger.info("thinned the views' history by \(removed) checkpoints") }
                } catch {
                    logger.warning("thinning the views' history failed (will retry in an hour): \(error)")
                }
                c.resume()
            }
        }
    }

    /// Compacts served feeds recorded more than `days` ago into summaries (see
    /// ``ReelConfiguration/JournalSettings/feedRetentionDays``); runs off the cooperative pool. The engine does
    /// this by itself every six hours when retention is configured.
    public func compactServedFeeds(olderThanDays days: Int) async throws(ReelError) -> CompactionReport {
        guard days > 0 else { throw .invalid("invalidRetention", "the retention must be at least one day") }
        let cutoff = Timestamp(microseconds: now.microseconds - Int64(days) * 86_400_000_000)
        let journal = self.journal
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<CompactionReport, JournalError>, Never>) in
            Thread.detachNewThread {
                c.resume(returning: Result { () throws(JournalError) in try journal.compact(recordedBefore: cutoff, rewrite: FeedServed.summarizedPayload) })
            }
        }
        do { return try result.get() } catch { throw ReelError.from(error) }
    }
}

/// What ``ReelEngine/status`` reports.
public struct EngineStatus: Sendable, Hashable {
    public var ready: Bool
    /// The next journal position (events ever written).
    public var journalPosition: UInt64
    /// Everything before this position is in the views.
    public var viewsPosition: UInt64
    public var viewsLag: UInt64
    /// Resident entities by kind.
    public var residentEntities: [String: Int]
    /// Set when the views stopped folding because of an error.
    public var viewsError: String?
}

/// Counts commands in flight so that shutdown can wait for them, and turns new ones away once closed.
final class CommandGate: Sendable {
    private struct State {
        /// Closed until the engine runs, and again once it stops.
        var closed = true
        var everOpened = false
        var inFlight = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    var isClosed: Bool { state.withLock { $0.closed } }

    func enter() throws(ReelError) {
        let ok = state.withLock { s in
            if s.closed { return false }
            s.inFlight += 1
            return true
        }
        guard ok else {
            if state.withLock({ $0.everOpened }) {
                throw ReelError(.unavailable, "shuttingDown", "the engine is shutting down and takes no new commands")
            }
            throw ReelError(.unavailable, "notRunning", "the engine takes commands once it runs (add it to a ServiceGroup, or call run())")
        }
    }

    func leave() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.inFlight -= 1
            guard s.inFlight == 0 else { return [] }
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    func close() { state.withLock { $0.closed = true } }

    func open() {
        state.withLock { s in
            s.closed = false
            s.everOpened = true
        }
    }

    func drained() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.inFlight == 0 { return true }
                s.waiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }
}
