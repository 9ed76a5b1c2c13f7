import ReelJournal

/// Trust and safety: reports, held uploads and moderators' decisions, each recorded on the target's case
/// stream (`ModerationCaseEntity`), with the decision's effect carried to the video afterwards. Every step is
/// idempotent (a decision already made is a no-op, removing a removed video too), so a retry after a crash
/// between the two finishes the job; the case's events are the audit trail.
extension ReelEngine {
    /// What a moderation command is about, as the caller found it: the video it is on and whose it is.
    public struct ModerationSubject: Sendable, Hashable {
        public var target: ModerationTarget
        public var id: UInt64
        public var video: UInt64
        public var subject: UInt64

        public init(target: ModerationTarget, id: UInt64, video: UInt64, subject: UInt64) {
            self.target = target
            self.id = id
            self.video = video
            self.subject = subject
        }
    }

    /// The subject of a video or account target, from the catalogue (comments are found by the host, which
    /// keeps them: pass a `ModerationSubject`).
    public func moderationSubject(_ target: ModerationTarget, _ id: UInt64) throws(ReelError) -> ModerationSubject {
        switch target {
        case .video:
            guard let v = video(id), v.status != .none else { throw .notFound("unknownVideo", "no video \(id)") }
            return ModerationSubject(target: .video, id: id, video: id, subject: v.creator)
        case .account:
            guard user(id) != nil else { throw .notFound("unknownUser", "no user \(id)") }
            return ModerationSubject(target: .account, id: id, video: 0, subject: id)
        case .comment:
            throw .invalid("invalidTarget", "a comment's video and author come from the comments index")
        }
    }

    /// A user reports something; a repeat by the same reporter before a decision changes nothing.
    @discardableResult
    public func report(_ s: ModerationSubject, by reporter: UInt64, reason: String, at: Timestamp? = nil)
        async throws(ReelError) -> Receipt
    {
        try await run(
            "report", moderation,
            .report(
                reporter: reporter, target: s.target, video: s.video, subject: s.subject, reason: reason, at: at ?? now),
            to: s.id, waitForViews: true)
    }

    /// Holds a processed upload for review instead of publishing it (it resembles `similarTo`, taken down).
    @discardableResult
    public func hold(video: UInt64, creator: UInt64, similarTo: UInt64, at: Timestamp? = nil) async throws(ReelError)
        -> Receipt
    {
        try await run(
            "hold", moderation, .hold(creator: creator, similarTo: similarTo, at: at ?? now), to: video,
            waitForViews: true)
    }

    /// A moderator's decision, then its effect: a video taken down is removed (a held one too), a restored one
    /// published again, an approved held one published. Comments and accounts change through the views and
    /// the host's read models, which fold the decision itself.
    @discardableResult
    public func moderate(
        _ s: ModerationSubject, _ action: ModerationAction, reason: String, moderator: String, at: Timestamp? = nil
    )
        async throws(ReelError) -> Receipt
    {
        let t = at ?? now
        if s.target == .video, action == .restore {
            // Checked before the case moves, so a restore that cannot happen is not recorded as done.
            guard let v = video(s.id), v.status == .removed || v.status == .published else {
                throw .invalid("invalidTransition", "video \(s.id) is not removed")
            }
            guard user(v.creator) != nil else {
                throw ReelError(
                    .rejected, "unknownCreator", "video \(s.id)'s creator was erased; their videos cannot come back")
            }
        }
        let decided = try await run(
            "moderate", moderation,
            .decide(
                target: s.target, video: s.video, subject: s.subject, action: action, reason: reason,
                moderator: moderator, at: t),
            to: s.id, waitForViews: true)
        guard s.target == .video, let v = video(s.id) else { return decided }
        switch action {
        case .takedown where v.status != .removed:
            return try await remove(video: s.id, reason: "moderation: \(reason)", at: t)
        case .restore where v.status == .removed:
            return try await run("restore", videos, .restore(at: t), to: s.id, waitForViews: true)
        case .approve where v.status == .ready:
            return try await publish(video: s.id, at: t)
        default: return decided
        }
    }

    /// Replaces a creator's own comment filter (empty clears it).
    @discardableResult
    public func setCommentFilter(creator: UInt64, words: [String], at: Timestamp? = nil) async throws(ReelError)
        -> Receipt
    {
        try await run("setCommentFilter", creators, .setCommentFilter(words: words, at: at ?? now), to: creator)
    }

    /// A case as its stream has it now (reports since the last decision, status).
    public func moderationCase(_ id: UInt64) async throws(ReelError) -> ModerationCaseEntity.State {
        do { return try await moderation.state(of: id).state } catch { throw ReelError.from(error) }
    }
}
