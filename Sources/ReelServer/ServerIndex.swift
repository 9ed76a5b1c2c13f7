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
    struct State {
        var sessions: [UInt64: [SessionRef]] = [:]
        var comments: [UInt64: [Comment]] = [:]
        var sessionOwner: [UInt64: UInt64] = [:]
    }
    let state = Mutex(State())

    public init() {}
    public var nextPosition: UInt64 { 0 }
    public func checkpoint() throws {}

    public func receive(_ events: [SubscribedEvent]) throws {
        state.withLock { s in
            for e in events {
                switch e.event {
                case .sessionStarted(let x):
                    s.sessions[x.viewer, default: []].append(SessionRef(session: x.session, startedAt: x.occurredAt))
                    s.sessionOwner[x.session] = x.viewer
                case .commented(let c):
                    s.comments[c.video, default: []].append(Comment(id: c.comment, video: c.video, author: c.viewer, text: c.text, postedAt: c.occurredAt))
                case .commentDeleted(let d):
                    s.comments[d.video]?.removeAll { $0.id == d.comment }
                case .userErased(let u):
                    // Erasure: their comments leave the read model too.
                    for key in Array(s.comments.keys) { s.comments[key]?.removeAll { $0.author == u.user } }
                default: break
                }
            }
        }
    }

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
