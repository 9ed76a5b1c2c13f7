import ReelDomain
import ReelJournal
import ReelRuntime

extension ReelEngine {
    /// Imported entities keep their own ids, which must be below this (2^40); ids the engine assigns are above
    /// it (milliseconds since 2025 << 8 passed 2^40 on 2025-02-19), so the two never meet.
    public static let importedIDLimit: UInt64 = 1 << 40

    private func checkImported(_ id: UInt64, _ what: String) throws(ReelError) {
        guard id > 0, id < Self.importedIDLimit else {
            throw .invalid("invalidID", "\(what) id \(id) is outside 1..<2^40, the range kept for imported ids")
        }
    }

    /// Registers a user under a given id unless it exists; returns whether it was created. The profile is a
    /// placeholder (`user<id>`); personal data can follow with ``changeProfile(user:handle:region:email:displayName:at:)``.
    @discardableResult
    public func importUser(id: UInt64, region: String, at: Timestamp? = nil) async throws(ReelError) -> Bool {
        try checkImported(id, "user")
        if try await version(users, id) > 0 { return false }
        _ = try await run("importUser", users, .register(handle: "user\(id)", region: region, email: "", displayName: "", at: at ?? now), to: id, waitForViews: true)
        return true
    }

    /// Adds a published video under a given id unless it is published already, resuming a video an earlier,
    /// interrupted import left half-way; returns whether anything was written.
    @discardableResult
    public func importVideo(id: UInt64, creator: UInt64, metadata: VideoMetadata, durationMillis: UInt64, at: Timestamp? = nil)
        async throws(ReelError) -> Bool
    {
        try checkImported(id, "video")
        let status: VideoStatus
        do { status = try await videos.state(of: id).state.status } catch { throw ReelError.from(error) }
        switch status {
        case .none:
            _ = try await run("importVideo", videos, .startUpload(creator: creator, byteSize: 1, at: at ?? now), to: id, waitForViews: true)
            fallthrough
        case .uploading:
            _ = try await completeUpload(video: id, metadata: metadata, blob: "import:\(id)", at: at)
            fallthrough
        case .processing:
            _ = try await processingSucceeded(video: id, durationMillis: durationMillis, renditions: [], at: at)
            fallthrough
        case .ready:
            _ = try await publish(video: id, at: at)
            return true
        default:
            return false
        }
    }

    /// Starts a session under a given id unless it exists; returns whether it was created. Fails if the id
    /// belongs to another viewer's session.
    @discardableResult
    public func importSession(id: UInt64, viewer: UInt64, context: SessionContext, at: Timestamp? = nil) async throws(ReelError) -> Bool {
        try checkImported(id, "session")
        let existing: SessionEntity.State
        do { existing = try await sessions.state(of: id).state } catch { throw ReelError.from(error) }
        if existing.started {
            guard existing.viewer == viewer else {
                throw ReelError(.conflict, "sessionTaken", "session \(id) belongs to viewer \(existing.viewer), not \(viewer)")
            }
            return false
        }
        _ = try await run(
            "importSession", sessions,
            .start(viewer: viewer, region: context.region, language: context.language, device: context.device, network: context.network, at: at ?? now),
            to: id)
        return true
    }

    /// Every event of one entity's stream, oldest first, decoded (personal data stays sealed).
    public func events(of kind: EntityKind, _ id: UInt64) throws(ReelError) -> [SubscribedEvent] {
        do {
            return try journal.readStream(StreamID(kind: kind.streamKind, id: id)).compactMap { recorded in
                var r = recorded
                try EventCatalog.upcasters.upcast(&r)
                return try ReelEvent.decode(r).map { SubscribedEvent(position: r.position, stream: r.stream, recordedAt: r.recordedAt, event: $0) }
            }
        } catch {
            throw ReelError.from(error)
        }
    }

    private func version<E: EventSourcedEntity>(_ registry: EntityRegistry<E>, _ id: UInt64) async throws(ReelError) -> UInt64 {
        do { return try await registry.state(of: id).version } catch { throw ReelError.from(error) }
    }
}
