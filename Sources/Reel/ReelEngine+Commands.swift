import Foundation
import ReelDomain
import ReelJournal
import ReelRuntime

/// Where a viewing session happens; it shapes the feed (regional trending) and is recorded with the session.
public struct SessionContext: Sendable, Hashable {
    public var region: String
    public var language: String
    public var device: String
    public var network: String
    public init(region: String, language: String = "en", device: String = "phone", network: String = "wifi") {
        self.region = region
        self.language = language
        self.device = device
        self.network = network
    }
}

/// What a viewer did with a video in a session.
public enum Engagement: Sendable, Hashable {
    case watch(video: UInt64, watchMillis: UInt64, loops: UInt64 = 0, completed: Bool)
    /// Swiped away after `watchedMillis`.
    case skip(video: UInt64, watchedMillis: UInt64)
    case like(video: UInt64)
    case unlike(video: UInt64)
    case share(video: UInt64, channel: String)
    case save(video: UInt64)
    case deleteComment(video: UInt64, comment: UInt64)
    case notInterested(video: UInt64)
}

/// What an upload says about itself.
public struct VideoMetadata: Sendable, Hashable {
    public var caption: String
    public var hashtags: [String]
    /// The sound the uploader picked (0: the video's own audio becomes a new original sound).
    public var sound: UInt64
    /// A duet or stitch names its source video.
    public var source: UInt64
    /// "duet", "stitch", or "" for an original.
    public var sourceKind: String
    public init(caption: String, hashtags: [String] = [], sound: UInt64 = 0, source: UInt64 = 0, sourceKind: String = "") {
        self.caption = caption
        self.hashtags = hashtags
        self.sound = sound
        self.source = source
        self.sourceKind = sourceKind
    }
}

/// A durable command's place in the journal.
public struct Receipt: Sendable, Hashable {
    /// The entity's version (events in its stream) after the command.
    public var version: UInt64
    /// The journal position of the command's last event (nil when it changed nothing).
    public var position: UInt64?
}

extension ReelEngine {
    // MARK: Accounts

    /// Registers a user and returns the new id. Email and display name are personal data: encrypted in the
    /// journal under the user's key, destroyed by ``eraseUser(_:at:)``.
    public func registerUser(handle: String, region: String, email: String, displayName: String, at: Timestamp? = nil)
        async throws(ReelError) -> UInt64
    {
        try await withNewID("registerUser", users) { id in .register(handle: handle, region: region, email: email, displayName: displayName, at: at ?? self.now) }
    }

    /// Runs `body` with every event its commands record tagged with `id` (`EventMetadata.causationID`), so
    /// a subscriber can tell from the journal alone that the command was carried out (`Idempotency-Key`).
    public static func withCommandID<T: Sendable>(_ id: UInt64, _ body: () async throws -> T) async rethrows -> T {
        try await CommandCausation.$id.withValue(id) { try await body() }
    }

    /// Where the journal ends now: a subscriber that has received everything before it has seen every
    /// command acknowledged so far.
    public var journalEnd: UInt64 { journal.nextPosition }

    /// A fresh id for an entity the caller creates (a user it must record elsewhere before the journal names it).
    public func newID() -> UInt64 { ids.next() }

    /// Registers a user under an id from ``newID()``; `alreadyRegistered` if the id is taken.
    public func registerUser(id: UInt64, handle: String, region: String, email: String, displayName: String, at: Timestamp? = nil)
        async throws(ReelError)
    {
        _ = try await run("registerUser", users, .register(handle: handle, region: region, email: email, displayName: displayName, at: at ?? now), to: id, waitForViews: true)
    }

    /// Whether the journal has the user's registration (the views may not have folded it yet).
    public func isRegistered(_ user: UInt64) async throws(ReelError) -> Bool { try await isTaken(users, user) }

    @discardableResult
    public func changeProfile(user: UInt64, handle: String, region: String, email: String?, displayName: String?, at: Timestamp? = nil)
        async throws(ReelError) -> Receipt
    {
        try await run("changeProfile", users, .changeProfile(handle: handle, region: region, email: email, displayName: displayName, at: at ?? now), to: user, waitForViews: true)
    }

    /// Erases a person (`Docs/Security.md`, "Personal data and erasure"). In this order, so that a retry
    /// after a crash at any step finishes the job:
    /// 1. their key is deleted: everything sealed under it (handle, email, display name, comments, captions,
    ///    creator name and bio) is unreadable in every copy of the journal, backups included, at every moment
    ///    of time travel, and nothing new can be sealed for them;
    /// 2. each of their videos not yet taken down is removed (it leaves every feed, search and the model);
    /// 3. the erasure is recorded: views drop their rows, comments, follows and followers, clear their
    ///    captions and delete the older history of those rows at the next checkpoint;
    /// 4. their actors leave memory and their snapshots, and their videos' and creator profile's, are deleted;
    ///    the import mapping forgets their external id.
    @discardableResult
    public func eraseUser(_ user: UInt64, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        let moment = at ?? now
        guard self.user(user) != nil || viewRunner.read({ $0.state.users[user]?.erased ?? false }) else {
            throw .notFound("unknownUser", "no user \(user)")
        }
        do {
            try keys.erase(subject: user, at: moment)
        } catch {
            throw ReelError.from(error)
        }
        let made = viewRunner.read { $0.state.videos(by: user) }
        for video in made where self.video(video).map({ $0.status != .removed && $0.status != .rejected && $0.status != .failed }) ?? false {
            do {
                try await remove(video: video, reason: "the creator's account was erased", at: moment)
            } catch where error.code == "invalidTransition" {
                // Taken down or refused in the meantime.
            }
        }
        let receipt: Receipt
        do {
            receipt = try await run("eraseUser", users, .erase(at: moment), to: user, waitForViews: true)
        } catch where error.code == "erased" {
            receipt = Receipt(version: 0, position: nil)
        }
        await users.passivate(ids: [user])
        await creators.passivate(ids: [user])
        await videos.passivate(ids: made)
        snapshots.flush()
        do {
            for stream in [StreamID.user(user), .creator(user)] + made.map(StreamID.video) { try snapshotStore.deleteAll(of: stream) }
            try ImportMapping.forget(user: user, in: configuration.dataDirectory)
        } catch {
            throw ReelError.from(error)
        }
        return receipt
    }

    // MARK: Follows

    @discardableResult
    public func follow(user: UInt64, creator: UInt64, session: UInt64 = 0, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        try await run("follow", users, .follow(creator: creator, session: session, at: at ?? now), to: user)
    }

    @discardableResult
    public func unfollow(user: UInt64, creator: UInt64, session: UInt64 = 0, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        try await run("unfollow", users, .unfollow(creator: creator, session: session, at: at ?? now), to: user)
    }

    /// Blocks a creator (ending any follow): their videos never appear in this user's feeds.
    @discardableResult
    public func block(user: UInt64, creator: UInt64, session: UInt64 = 0, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        try await run("block", users, .block(creator: creator, session: session, at: at ?? now), to: user)
    }

    @discardableResult
    public func updateCreatorProfile(creator: UInt64, name: String, bio: String, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        try await run("updateCreatorProfile", creators, .updateProfile(name: name, bio: bio, at: at ?? now), to: creator, waitForViews: true)
    }

    // MARK: Sessions and engagement

    /// Starts a viewing session for a registered user and returns its id.
    public func startSession(viewer: UInt64, context: SessionContext, at: Timestamp? = nil) async throws(ReelError) -> UInt64 {
        try await withNewID("startSession", sessions) { _ in
            .start(viewer: viewer, region: context.region, language: context.language, device: context.device, network: context.network, at: at ?? self.now)
        }
    }

    @discardableResult
    public func endSession(_ session: UInt64, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        defer { _ = sessionWrites.withLock { $0.removeValue(forKey: session) } }
        return try await run("endSession", sessions, .end(at: at ?? now), to: session)
    }

    /// Records what the session's viewer did with a video. The next feed request of this session sees it.
    @discardableResult
    public func engage(session: UInt64, _ engagement: Engagement, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        let t = at ?? now
        let (name, command): (String, SessionEntity.Command) =
            switch engagement {
            case let .watch(video, watchMillis, loops, completed): ("watch", .watch(video: video, watchMillis: watchMillis, loops: loops, completed: completed, at: t))
            case let .skip(video, watchedMillis): ("skip", .skip(video: video, watchedMillis: watchedMillis, at: t))
            case let .like(video): ("like", .like(video: video, at: t))
            case let .unlike(video): ("unlike", .unlike(video: video, at: t))
            case let .share(video, channel): ("share", .share(video: video, channel: channel, at: t))
            case let .save(video): ("save", .save(video: video, at: t))
            case let .deleteComment(video, comment): ("deleteComment", .deleteComment(video: video, commentID: comment, at: t))
            case let .notInterested(video): ("notInterested", .notInterested(video: video, at: t))
            }
        if let unchanged = try await alreadySo(engagement, session: session) { return unchanged }
        let receipt = try await run(name, sessions, command, to: session)
        if let p = receipt.position {
            sessionWrites.withLock { writes in
                // Bounded: positions this old are long folded; forgetting them only skips a wait.
                if writes.count >= 100_000 { writes.removeAll(keepingCapacity: true) }
                writes[session] = p
            }
        }
        return receipt
    }

    /// A like of a liked video, an unlike of one not liked, a save of a saved one: nothing to record, whatever
    /// session did it first (the receipt has no position). Read from the views once they include this
    /// session's own writes; two sessions racing within a fold's lag can both record, and the views count
    /// such a like or save once (`ViewState.applyCounters`).
    private func alreadySo(_ engagement: Engagement, session: UInt64) async throws(ReelError) -> Receipt? {
        let video: UInt64
        let liked: Bool?
        switch engagement {
        case .like(let v): (video, liked) = (v, true)
        case .unlike(let v): (video, liked) = (v, false)
        case .save(let v): (video, liked) = (v, nil)
        default: return nil
        }
        let (s, version): (SessionEntity.State, UInt64)
        do { (s, version) = try await sessions.state(of: session) } catch { throw ReelError.from(error) }
        guard s.started, !s.ended else { return nil }  // the command is refused with the reason
        if let written = sessionWrites.withLock({ $0[session] }) { await viewsInclude(written) }
        let already = viewRunner.readShared { store in
            switch liked {
            case .some(let wantLiked): (store.state.likes[s.viewer]?.contains(video) ?? false) == wantLiked
            case .none: store.state.saves[s.viewer]?.contains(video) ?? false
            }
        }
        return already ? Receipt(version: version, position: nil) : nil
    }

    /// Posts a comment and returns its id.
    public func comment(session: UInt64, video: UInt64, text: String, at: Timestamp? = nil) async throws(ReelError) -> UInt64 {
        let id = ids.next()
        _ = try await run("comment", sessions, .comment(video: video, commentID: id, text: text, at: at ?? now), to: session)
        return id
    }

    // MARK: Videos

    /// Opens an upload for a registered creator and returns the new video's id.
    public func startUpload(creator: UInt64, byteSize: UInt64, at: Timestamp? = nil) async throws(ReelError) -> UInt64 {
        guard byteSize > 0, byteSize <= UInt64(configuration.media.maxUploadBytes) else {
            throw .invalid("uploadTooLarge", "an upload of \(byteSize) bytes is outside 1...\(configuration.media.maxUploadBytes) (media.maxUploadBytes)")
        }
        return try await withNewID("startUpload", videos) { _ in .startUpload(creator: creator, byteSize: byteSize, at: at ?? self.now) }
    }

    /// The upload's bytes are stored (as `blob`): processing can begin.
    @discardableResult
    public func completeUpload(video: UInt64, metadata: VideoMetadata, blob: String, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        try await run(
            "completeUpload", videos,
            .completeUpload(caption: metadata.caption, hashtags: metadata.hashtags, sound: metadata.sound, source: metadata.source,
                            sourceKind: metadata.sourceKind, blob: blob, at: at ?? now), to: video, waitForViews: true)
    }

    /// Media processing finished: the renditions exist. Without `analysis`, `matchedSound` (when not 0) is the
    /// existing sound the audio matched; with one (the media pipeline's), `matchedSound` is authoritative: the
    /// matched sound, the video's own new sound, or 0 for a silent video.
    @discardableResult
    public func processingSucceeded(
        video: UInt64, durationMillis: UInt64, renditions: [String], matchedSound: UInt64 = 0, analysis: MediaAnalysis = MediaAnalysis(),
        at: Timestamp? = nil
    )
        async throws(ReelError) -> Receipt
    {
        guard durationMillis <= UInt64(configuration.media.maxDurationSeconds) * 1000 else {
            throw .invalid("tooLong", "a video of \(durationMillis) ms is longer than \(configuration.media.maxDurationSeconds) s (media.maxDurationSeconds)")
        }
        return try await run(
            "processingSucceeded", videos, .processingSucceeded(durationMillis: durationMillis, renditions: renditions, sound: matchedSound, analysis: analysis, at: at ?? now),
            to: video, waitForViews: true)
    }

    @discardableResult
    public func processingFailed(video: UInt64, reason: String, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        try await run("processingFailed", videos, .processingFailed(reason: reason, at: at ?? now), to: video, waitForViews: true)
    }

    @discardableResult
    public func publish(video: UInt64, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        try await run("publish", videos, .publish(at: at ?? now), to: video, waitForViews: true)
    }

    /// Moderation said no; the reason is recorded.
    @discardableResult
    public func reject(video: UInt64, reason: String, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        try await run("reject", videos, .reject(reason: reason, at: at ?? now), to: video, waitForViews: true)
    }

    /// Takes a published video down; it leaves every feed.
    @discardableResult
    public func remove(video: UInt64, reason: String, at: Timestamp? = nil) async throws(ReelError) -> Receipt {
        try await run("remove", videos, .remove(reason: reason, at: at ?? now), to: video, waitForViews: true)
    }

    /// Adds an already-processed video (imports, demos): upload, completion, processing and publication as
    /// the four events a real upload records, so views and audits cannot tell the difference.
    public func addPublishedVideo(
        creator: UInt64, metadata: VideoMetadata, durationMillis: UInt64, renditions: [String] = [], blob: String = "", at: Timestamp? = nil
    ) async throws(ReelError) -> UInt64 {
        let id = try await startUpload(creator: creator, byteSize: 1, at: at)
        _ = try await completeUpload(video: id, metadata: metadata, blob: blob.isEmpty ? "import:\(id)" : blob, at: at)
        _ = try await processingSucceeded(video: id, durationMillis: durationMillis, renditions: renditions, at: at)
        _ = try await publish(video: id, at: at)
        return id
    }

    // MARK: Plumbing

    /// Sends one command through the gate, with metrics, mapping every failure to a `ReelError`. With
    /// `waitForViews`, returns once the views include the command (bounded by the configured timeout), so a
    /// command right after it, validated against the catalogue, sees it.
    func run<E: EventSourcedEntity>(_ name: String, _ registry: EntityRegistry<E>, _ command: E.Command, to id: UInt64, waitForViews: Bool = false)
        async throws(ReelError) -> Receipt
    {
        guard id != 0 else { throw .invalid("invalidID", "\(E.kind == 1 ? "a user" : "an entity") id must not be 0") }
        try gate.enter()
        defer { gate.leave() }
        let started = ContinuousClock.now
        do {
            let r = try await registry.send(command, to: id)
            metrics.record(command: name, outcome: "ok", started: started)
            if waitForViews, let p = r.lastPosition { await viewsInclude(p) }
            return Receipt(version: r.version, position: r.lastPosition)
        } catch {
            let e = ReelError.from(error)
            metrics.record(command: name, outcome: e.category == .failure || e.category == .unavailable ? "failed" : "rejected", started: started)
            throw e
        }
    }

    /// Creates an entity under a fresh id, trying another if the id is taken (after a clock step back).
    func withNewID<E: EventSourcedEntity>(_ name: String, _ registry: EntityRegistry<E>, _ command: @Sendable (UInt64) -> E.Command)
        async throws(ReelError) -> UInt64
    {
        for _ in 0..<5 {
            let id = ids.next()
            do {
                _ = try await run(name, registry, command(id), to: id, waitForViews: true)
                return id
            } catch {
                if error.code == "alreadyRegistered" || error.code == "alreadyStarted" || error.code == "invalidTransition" {
                    if try await isTaken(registry, id) { continue }
                }
                throw error
            }
        }
        throw ReelError(.failure, "idExhausted", "could not find a free id in 5 tries (is the clock far behind?)")
    }

    private func isTaken<E: EventSourcedEntity>(_ registry: EntityRegistry<E>, _ id: UInt64) async throws(ReelError) -> Bool {
        do { return try await registry.state(of: id).version > 0 } catch { throw ReelError.from(error) }
    }

    /// Waits until the views include every event committed so far (bounded by the configured read-your-writes
    /// timeout). Queries and feeds afterwards see all of it: for simulations and tests that need determinism.
    public func waitForViews() async {
        let end = journal.nextPosition
        if end > 0 {
            await viewsInclude(end - 1)
            await modelIncludes(end - 1)
        }
    }

    /// Waits (asynchronously, bounded) until the recommender has learned from `position`.
    func modelIncludes(_ position: UInt64) async {
        let timeout = configuration.views.readYourWritesTimeoutMillis
        if await !modelRunner.folded(position + 1, timeout: .milliseconds(timeout)) {
            logger.warning("the recommender did not reach position \(position) within \(timeout) ms")
        }
    }

    /// Waits (asynchronously, bounded) until the views have folded `position`.
    func viewsInclude(_ position: UInt64) async {
        let timeout = configuration.views.readYourWritesTimeoutMillis
        if await !viewRunner.folded(position + 1, timeout: .milliseconds(timeout)) {
            logger.warning("views did not reach position \(position) within \(timeout) ms")
        }
    }
}
