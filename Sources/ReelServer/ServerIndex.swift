import Reel
import Synchronization

/// The server's own read model, folded from the journal like any subscriber (from position 0 at every start;
/// small): each user's viewing sessions, each video's comments, and who erased their account. What the
/// engine's views do not answer directly — "the feeds served to this user", "the comments under this video".
public final class ServerIndex: EventSubscriber, Sendable {
    public struct SessionRef: Sendable, Hashable {
        public var session: UInt64
        public var startedAt: Timestamp
    }
    public struct Comment: Sendable, Hashable {
        public var id: UInt64
        public var video: UInt64
        public var author: UInt64
        public var text: String
        public var postedAt: Timestamp
    }
    /// The first event a command with an idempotency key recorded (`ReelEngine.withCommandID`).
    public struct RecordedCommand: Sendable {
        public var position: UInt64
        public var recordedAt: Timestamp
        public var event: ReelEvent
    }
    /// How long command ids are remembered (by journal time): longer than any client's retries.
    public static let commandMemorySeconds: Double = 24 * 3600

    struct State {
        var commands: [UInt64: RecordedCommand] = [:]
        /// Command ids in journal order, for forgetting them after `commandMemorySeconds`.
        var commandLog: [(id: UInt64, at: Timestamp)] = []
        var commandLogStart = 0
        var sessions: [UInt64: [SessionRef]] = [:]
        var comments: [UInt64: [Comment]] = [:]
        var sessionOwner: [UInt64: UInt64] = [:]
        /// Each standing comment's video, for reports and moderation.
        var commentVideo: [UInt64: UInt64] = [:]
        /// Accounts moderation suspended (taken down and not restored).
        var suspended: Set<UInt64> = []
        /// Creators' own comment filters (sealed personal data: gone with an erasure).
        var commentFilters: [UInt64: [String]] = [:]
    }
    let state = Mutex(State())
    let progress = DeliveryProgress()

    public init() {}

    static func forgetOldCommands(_ s: inout State) {
        guard let newest = s.commandLog.last?.at else { return }
        let horizon = newest.milliseconds - Int64(commandMemorySeconds * 1000)
        while s.commandLogStart < s.commandLog.count, s.commandLog[s.commandLogStart].at.milliseconds < horizon {
            s.commands[s.commandLog[s.commandLogStart].id] = nil
            s.commandLogStart += 1
        }
        if s.commandLogStart > 4096 && s.commandLogStart * 2 > s.commandLog.count {
            s.commandLog.removeFirst(s.commandLogStart)
            s.commandLogStart = 0
        }
    }

    /// The command recorded under `id`, if the journal has one (within `commandMemorySeconds`).
    public func command(_ id: UInt64) -> RecordedCommand? { state.withLock { $0.commands[id] } }

    /// Everything before this journal position has been received.
    public var delivered: UInt64 { progress.delivered }
    public var nextPosition: UInt64 { 0 }
    public func checkpoint() throws {}

    /// Waits until everything before `position` has been received; false when `timeout` passed first (the
    /// index is still replaying the journal after a start, or the machine is overloaded).
    public func waitUntilDelivered(_ position: UInt64, timeout: Duration) async -> Bool {
        await progress.wait(until: position, timeout: timeout)
    }

    public func receive(_ events: [SubscribedEvent]) throws {
        state.withLock { s in
            for e in events {
                if let c = e.causation, s.commands[c] == nil {
                    s.commands[c] = RecordedCommand(position: e.position, recordedAt: e.recordedAt, event: e.event)
                    s.commandLog.append((c, e.recordedAt))
                }
                switch e.event {
                case .sessionStarted(let x):
                    s.sessions[x.viewer, default: []].append(SessionRef(session: x.session, startedAt: x.occurredAt))
                    s.sessionOwner[x.session] = x.viewer
                case .commented(let c):
                    s.comments[c.video, default: []].append(Comment(id: c.comment, video: c.video, author: c.viewer, text: c.text, postedAt: c.occurredAt))
                    s.commentVideo[c.comment] = c.video
                case .commentDeleted(let d):
                    s.comments[d.video]?.removeAll { $0.id == d.comment }
                    s.commentVideo[d.comment] = nil
                case .moderationDecided(let d) where d.target == .comment && d.action == .takedown:
                    s.comments[d.video]?.removeAll { $0.id == d.id }
                    s.commentVideo[d.id] = nil
                case .moderationDecided(let d) where d.target == .account:
                    if d.action == .takedown { s.suspended.insert(d.id) } else if d.action == .restore { s.suspended.remove(d.id) }
                case .userErased(let u):
                    // Erasure: their comments leave the read model too.
                    for key in Array(s.comments.keys) {
                        for c in s.comments[key] ?? [] where c.author == u.user { s.commentVideo[c.id] = nil }
                        s.comments[key]?.removeAll { $0.author == u.user }
                    }
                    s.suspended.remove(u.user)
                    s.commentFilters[u.user] = nil
                case .commentFilterSet(let f):
                    s.commentFilters[f.creator] = f.words.isEmpty ? nil : f.words
                default: break
                }
            }
            Self.forgetOldCommands(&s)
        }
        if let last = events.last { progress.advance(to: last.position + 1) }
    }

    /// A standing comment, for a report or a moderator (nil: no such comment, or it was deleted or taken down).
    public func comment(_ id: UInt64) -> Comment? {
        state.withLock { s in s.commentVideo[id].flatMap { video in s.comments[video]?.first { $0.id == id } } }
    }

    /// A creator's own comment filter (empty for none).
    public func commentFilter(of creator: UInt64) -> [String] { state.withLock { $0.commentFilters[creator] ?? [] } }

    /// Whether moderation suspended this account.
    public func isSuspended(_ user: UInt64) -> Bool { state.withLock { $0.suspended.contains(user) } }

    /// The user's sessions started at or before `at`, newest first.
    public func sessions(of user: UInt64, at: Timestamp? = nil) -> [SessionRef] {
        state.withLock { s in (s.sessions[user] ?? []).filter { at == nil || $0.startedAt <= at! }.reversed() }
    }
    public func owner(of session: UInt64) -> UInt64? { state.withLock { $0.sessionOwner[session] } }

    /// Comments under a video, oldest first, from `after` (a comment id cursor) on.
    public func comments(on video: UInt64, after: UInt64?, limit: Int) -> (items: [Comment], next: UInt64?) {
        state.withLock { s in
            let all = s.comments[video] ?? []
            // Comment ids grow with time, so "after the cursor" survives the cursor's comment being deleted.
            let start = after.map { cursor in all.firstIndex { $0.id > cursor } ?? all.count } ?? 0
            let page = Array(all[min(start, all.count)...].prefix(limit))
            let more = start + page.count < all.count
            return (page, more ? page.last?.id : nil)
        }
    }
}
