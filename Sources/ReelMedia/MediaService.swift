import Foundation
import Logging
import Metrics
import Reel
import ServiceLifecycle
import Synchronization

/// The durable media job queue. It holds no queue of its own: the pending jobs are a fold of the journal
/// (``MediaQueueState``), so after a crash or restart the same jobs are pending again. Jobs run with bounded
/// concurrency; a transient failure (tool timeout, full disk, engine unavailable) is retried with exponential
/// backoff, and every job ends in `video.processed` + `video.published`, `video.rejected`, or
/// `video.processingFailed` with a reason.
///
/// Run it in the same service group as the engine, after it (so it stops first).
public final class MediaService: Service, Sendable {
    public let engine: ReelEngine
    public let blobs: any BlobStore
    public let uploads: UploadStore
    let pipeline: MediaPipeline
    let moderation: any ModerationPolicy
    let settings: ReelConfiguration.MediaSettings
    let logger: Logger
    let fold = MediaQueueFold()
    let scheduler = Mutex(Scheduler())

    struct Scheduler {
        var running: Set<UInt64> = []
        /// The stage each video was last handled at, so a job is not picked again before its event is folded.
        var handled: [UInt64: MediaJob.Stage] = [:]
        var attempts: [UInt64: Int] = [:]
        var notBefore: [UInt64: ContinuousClock.Instant] = [:]
        /// When each uploader's last job started: the next job goes to whoever waited longest (fair share).
        var lastStarted: [UInt64: ContinuousClock.Instant] = [:]
        /// Files the janitor already deleted (`sweep`).
        var sweptBlobs: Set<String> = []
        var sweptRenditions: Set<UInt64> = []
    }

    public init(
        engine: ReelEngine, blobs: (any BlobStore)? = nil, moderation: (any ModerationPolicy)? = nil, logger: Logger = Logger(label: "reel.media")
    ) throws(UploadError) {
        let c = engine.configuration
        let layout = ReelEngine.Layout(c.dataDirectory)
        self.engine = engine
        self.blobs = blobs ?? FileBlobStore(root: layout.blobs)
        uploads = try UploadStore(root: layout.uploads, chunkSize: Int64(c.media.uploadChunkBytes))
        var limits = MediaLimits()
        limits.maxDurationSeconds = c.media.maxDurationSeconds
        limits.maxBytes = Int64(c.media.maxUploadBytes)
        limits.toolTimeoutSeconds = c.media.toolTimeoutSeconds
        pipeline = MediaPipeline(limits: limits)
        self.moderation = moderation ?? BlocklistModeration(settings: c.media)
        settings = c.media
        self.logger = logger
    }

    /// Jobs waiting or running.
    public var queueDepth: Int { fold.state.withLock { $0.pending.count } }
    /// The video a processed video nearly duplicates, if any.
    public func duplicateOf(_ video: UInt64) -> UInt64? { fold.state.withLock { $0.duplicates[video] } }

    public func run() async throws {
        blobs.removeAbandonedStaging()
        uploads.sweepExpired()
        let subscription = engine.subscribe(fold, personalData: true)  // moderation reads the sealed caption
        // Fold the whole journal first: until then "pending" may still include finished jobs.
        while subscription.lag > 0, subscription.error == nil, !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
        if let e = subscription.error { throw e }
        logger.info("media queue ready", metadata: ["pending": "\(queueDepth)"])
        await withDiscardingTaskGroup { group in
            let depth = Gauge(label: "reel_media_queue_depth")
            var lastSweep = ContinuousClock.now - .seconds(3600)
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                depth.record(Double(queueDepth))
                while let job = nextJob() { group.addTask { await self.perform(job) } }
                if ContinuousClock.now - lastSweep >= .seconds(60) {
                    lastSweep = .now
                    await sweep()
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
            group.cancelAll()  // running tools are killed; their jobs stay pending in the journal
        }
    }

    /// Waits until `video` leaves the queue (published, rejected or failed); false on timeout.
    public func waitUntilSettled(_ video: UInt64, timeout: Duration = .seconds(120)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if fold.state.withLock({ $0.pending[video] == nil }), engine.video(video)?.status != .processing { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func nextJob() -> MediaJob? {
        let now = ContinuousClock.now
        let pending = fold.state.withLock { Array($0.pending.values) }.sorted { $0.video < $1.video }
        return scheduler.withLock { s in
            guard s.running.count < settings.concurrency else { return nil }
            for (video, _) in s.handled where !pending.contains(where: { $0.video == video }) { s.handled[video] = nil }
            let ready = pending.filter { j in
                !s.running.contains(j.video) && s.handled[j.video] != j.stage && (s.notBefore[j.video].map { $0 <= now } ?? true)
            }
            let runningCreators = s.running.compactMap { v in pending.first { $0.video == v }?.creator }
            guard let job = Self.fairChoice(ready, runningCreators: runningCreators, lastStarted: s.lastStarted) else { return nil }
            s.running.insert(job.video)
            s.lastStarted[job.creator] = now
            return job
        }
    }

    /// Fair share between uploaders: the oldest job of the uploader with the fewest jobs running and, among
    /// those, the one whose last job started longest ago (never started: first). One uploader's hundred videos
    /// wait their turn behind everyone else's next one instead of holding the queue.
    static func fairChoice(
        _ ready: [MediaJob], runningCreators: [UInt64], lastStarted: [UInt64: ContinuousClock.Instant]
    ) -> MediaJob? {
        let runningBy = Dictionary(grouping: runningCreators, by: { $0 }).mapValues(\.count)
        return ready.min { a, b in
            let (ra, rb) = (runningBy[a.creator] ?? 0, runningBy[b.creator] ?? 0)
            if ra != rb { return ra < rb }
            let (la, lb) = (lastStarted[a.creator], lastStarted[b.creator])
            if la != lb { return la == nil || (lb != nil && la! < lb!) }
            return a.video < b.video
        }
    }

    func perform(_ job: MediaJob) async {
        let outcome: Outcome
        switch job.stage {
        case .transcode: outcome = await transcode(job)
        case .review(let processed): outcome = await review(job, processed)
        }
        scheduler.withLock { s in
            s.running.remove(job.video)
            switch outcome {
            case .done:
                s.handled[job.video] = job.stage
                s.attempts[job.video] = nil
                s.notBefore[job.video] = nil
            case .retry:
                let n = s.attempts[job.video, default: 0] + 1
                s.attempts[job.video] = n
                s.notBefore[job.video] = .now + .seconds(settings.retryBackoffSeconds) * (1 << min(n - 1, 10))
            }
        }
    }

    enum Outcome { case done, retry }

    var attemptsLeft: (UInt64) -> Bool {
        { video in self.scheduler.withLock { $0.attempts[video, default: 0] + 1 < self.settings.maxAttempts } }
    }

    func transcode(_ job: MediaJob) async -> Outcome {
        guard let original = blobs.path(of: job.blob) else {
            return await fail(job, "the original upload (\(job.blob)) is missing from the blob store")
        }
        var composing: (kind: Composition.Kind, source: String)?
        if job.source != 0, let kind = Composition.Kind(rawValue: job.sourceKind) {
            guard let files = blobs.renditions(of: job.source), FileManager.default.fileExists(atPath: "\(files)/\(TranscodePlan.fallbackFile)") else {
                return await fail(job, "sourceUnavailable: the \(job.sourceKind) original \(job.source) has no processed media")
            }
            composing = (kind, "\(files)/\(TranscodePlan.fallbackFile)")
        }
        let staging: String
        do { staging = try blobs.makeStagingDirectory(for: job.video) } catch { return await transient(job, error.message) }
        let media: ProcessedMedia
        do {
            media = try await pipeline.process(original, into: staging, composing: composing)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            if Task.isCancelled { return .retry }
            if error.isTransient { return await transient(job, "\(error.code): \(error)") }
            return await fail(job, "\(error.code): \(error)")
        }
        let state = fold.state.withLock { $0 }
        let duplicateOf = state.nearDuplicate(of: job.video, hashes: media.frameHashes)
        let sound = media.probe.hasAudio ? (state.matchingSound(media.audioFingerprint, excluding: job.video).nonZero ?? job.video) : 0
        let analysis = MediaAnalysis(
            width: UInt32(media.probe.width), height: UInt32(media.probe.height), hasAudio: media.probe.hasAudio, frameHashes: media.frameHashes,
            audioFingerprint: media.audioFingerprint, sceneCutsMillis: media.sceneCutsMillis, duplicateOf: duplicateOf)
        do { try blobs.publishRenditions(from: staging, video: job.video) } catch {
            try? FileManager.default.removeItem(atPath: staging)
            return await transient(job, error.message)
        }
        do {
            try await engine.processingSucceeded(
                video: job.video, durationMillis: media.probe.durationMillis, renditions: media.renditions.map(\.rung.name), matchedSound: sound,
                analysis: analysis)
            logger.info("processed", metadata: ["video": "\(job.video)", "seconds": "\(media.seconds)", "duplicateOf": "\(duplicateOf)", "sound": "\(sound)"])
            // Review at once instead of waiting for the fold to hand the job back.
            var reviewed = job
            let processed = ProcessingSucceeded(
                video: job.video, durationMillis: media.probe.durationMillis, renditions: media.renditions.map(\.rung.name), sound: sound,
                occurredAt: .zero, analysis: analysis)
            reviewed.stage = .review(processed)
            return await review(reviewed, processed)
        } catch {
            return engineFailed(job, error)
        }
    }

    func review(_ job: MediaJob, _ processed: ProcessingSucceeded) async -> Outcome {
        let original = fold.state.withLock { $0.takenDownOriginal(of: job.video, hashes: processed.frameHashes) }
        if original != 0 {
            do {
                try await engine.hold(video: job.video, creator: job.creator, similarTo: original)
                logger.notice("held for review", metadata: ["video": "\(job.video)", "similarTo": "\(original)"])
                return .done
            } catch {
                return engineFailed(job, error)
            }
        }
        let verdict = moderation.review(
            ModerationCase(
                video: job.video, creator: job.creator, caption: job.caption, hashtags: job.hashtags, frameHashes: processed.frameHashes,
                duplicateOf: processed.duplicateOf))
        do {
            switch verdict {
            case .allow:
                try await engine.publish(video: job.video)
                logger.info("published", metadata: ["video": "\(job.video)"])
            case .reject(let reason):
                // Files first: a crash in between leaves a "ready" video that is reviewed (and rejected) again,
                // never a rejected video whose files are still there.
                blobs.removeRenditions(of: job.video)
                try await engine.reject(video: job.video, reason: reason)
                logger.info("rejected", metadata: ["video": "\(job.video)", "reason": "\(reason)"])
            }
            return .done
        } catch {
            return engineFailed(job, error)
        }
    }

    func transient(_ job: MediaJob, _ reason: String) async -> Outcome {
        if attemptsLeft(job.video) {
            logger.warning("media job will be retried", metadata: ["video": "\(job.video)", "reason": "\(reason)"])
            return .retry
        }
        return await fail(job, "\(reason) (after \(settings.maxAttempts) attempts)")
    }

    func fail(_ job: MediaJob, _ reason: String) async -> Outcome {
        do {
            try await engine.processingFailed(video: job.video, reason: reason)
            logger.notice("processing failed", metadata: ["video": "\(job.video)", "reason": "\(reason)"])
            return .done
        } catch {
            return engineFailed(job, error)
        }
    }

    /// The engine said no: unavailable is retried; anything else means the video moved on without us.
    func engineFailed(_ job: MediaJob, _ error: ReelError) -> Outcome {
        if error.category == .unavailable {
            logger.warning("engine unavailable; media job will be retried", metadata: ["video": "\(job.video)", "error": "\(error)"])
            return .retry
        }
        logger.error("media job dropped: \(error)", metadata: ["video": "\(job.video)"])
        return .done
    }
}

/// Feeds the queue state from the journal (from position 0 on every start: the state is small and rebuilt
/// in one pass; see Docs/Architecture.md, "Media").
final class MediaQueueFold: EventSubscriber, Sendable {
    let state = Mutex(MediaQueueState())
    var nextPosition: UInt64 { 0 }
    func receive(_ events: [SubscribedEvent]) throws { state.withLock { s in for e in events { s.apply(e.event) } } }
    func checkpoint() throws {}
}

extension UInt64 {
    var nonZero: UInt64? { self == 0 ? nil : self }
}
