import Reel
import Synchronization

/// The moderators' read model, folded from the journal like `ServerIndex` (from position 0 at every start):
/// the review queue (reported and held cases), each case's history, and every decision in journal order,
/// which is the moderation audit trail. Reporters appear by id only, and leave it when they are erased.
public final class ModerationQueue: EventSubscriber, Sendable {
    public struct Entry: Sendable, Hashable {
        public enum Kind: String, Sendable { case reported, held, decided }
        public var kind: Kind
        public var position: UInt64
        public var at: Timestamp
        /// Reports: who (0 once they were erased) and why.
        public var reporter: UInt64 = 0
        public var reason: String = ""
        /// Decisions: what, by whom.
        public var action: ModerationAction?
        public var moderator: String = ""
        /// Held uploads: the taken-down video it resembles.
        public var similarTo: UInt64 = 0
    }
    public struct Case: Sendable, Hashable {
        public var id: UInt64
        public var target: ModerationTarget
        public var video: UInt64
        public var subject: UInt64
        public var status: CaseStatus = .none
        /// Reports since the last decision, by reason.
        public var openReports: Int = 0
        public var reasons: [String: Int] = [:]
        public var firstOpenAt: Timestamp = .zero
        public var lastReportAt: Timestamp = .zero
        public var history: [Entry] = []
    }
    public struct Decision: Sendable, Hashable {
        public var position: UInt64
        public var at: Timestamp
        public var target: ModerationTarget
        public var id: UInt64
        public var subject: UInt64
        public var action: ModerationAction
        public var reason: String
        public var moderator: String
    }

    struct State {
        var cases: [UInt64: Case] = [:]
        var decisions: [Decision] = []
    }
    let state = Mutex(State())
    let progress = DeliveryProgress()

    public init() {}

    public var nextPosition: UInt64 { 0 }
    public func checkpoint() throws {}

    public func receive(_ events: [SubscribedEvent]) throws {
        state.withLock { s in
            for e in events { Self.apply(e, to: &s) }
        }
        if let last = events.last { progress.advance(to: last.position + 1) }
    }

    static func apply(_ e: SubscribedEvent, to s: inout State) {
        switch e.event {
        case .reported(let r):
            var c = s.cases[r.id] ?? Case(id: r.id, target: r.target, video: r.video, subject: r.subject)
            if !c.status.needsReview {
                (c.openReports, c.reasons, c.firstOpenAt) = (0, [:], e.recordedAt)
                c.status = .open
            }
            c.openReports += 1
            c.reasons[r.reason, default: 0] += 1
            c.lastReportAt = e.recordedAt
            c.history.append(
                Entry(kind: .reported, position: e.position, at: e.recordedAt, reporter: r.reporter, reason: r.reason))
            s.cases[r.id] = c
        case .held(let h):
            var c = s.cases[h.video] ?? Case(id: h.video, target: .video, video: h.video, subject: h.creator)
            if !c.status.needsReview { c.firstOpenAt = e.recordedAt }
            c.status = .held
            c.history.append(Entry(kind: .held, position: e.position, at: e.recordedAt, similarTo: h.similarTo))
            s.cases[h.video] = c
        case .moderationDecided(let d):
            var c = s.cases[d.id] ?? Case(id: d.id, target: d.target, video: d.video, subject: d.subject)
            c.status = .after(d.action)
            (c.openReports, c.reasons) = (0, [:])
            c.history.append(
                Entry(
                    kind: .decided, position: e.position, at: e.recordedAt, reason: d.reason, action: d.action,
                    moderator: d.moderator))
            s.cases[d.id] = c
            s.decisions.append(
                Decision(
                    position: e.position, at: e.recordedAt, target: d.target, id: d.id, subject: d.subject,
                    action: d.action, reason: d.reason,
                    moderator: d.moderator))
        case .published(let p):
            // A held upload published some other way (its original was restored and it was reviewed again).
            if s.cases[p.video]?.status == .held { s.cases[p.video]?.status = .dismissed }
        case .removed(let r):
            // Removed for another reason (its creator erased): nothing is left to review.
            if let c = s.cases[r.video], c.status.needsReview { s.cases[r.video]?.status = .dismissed }
        case .userErased(let u):
            for (id, c) in s.cases {
                var c = c
                var changed = false
                if c.subject == u.user, c.status.needsReview {
                    c.status = .dismissed
                    changed = true
                }
                if c.history.contains(where: { $0.reporter == u.user }) {
                    for i in c.history.indices where c.history[i].reporter == u.user { c.history[i].reporter = 0 }
                    changed = true
                }
                if changed { s.cases[id] = c }
            }
        default: return
        }
    }

    /// Waits until the queue has folded everything before `position` (a moderator sees their own decision).
    public func waitUntilDelivered(_ position: UInt64, timeout: Duration) async -> Bool {
        await progress.wait(until: position, timeout: timeout)
    }

    /// The cases waiting for a moderator: held uploads first, then the most reported, then the oldest.
    public func queue(limit: Int) -> [Case] {
        state.withLock { s in
            s.cases.values.filter(\.status.needsReview).sorted { a, b in
                if (a.status == .held) != (b.status == .held) { return a.status == .held }
                if a.openReports != b.openReports { return a.openReports > b.openReports }
                return a.firstOpenAt != b.firstOpenAt ? a.firstOpenAt < b.firstOpenAt : a.id < b.id
            }
            .prefix(limit).map { $0 }
        }
    }

    public var queueLength: Int { state.withLock { s in s.cases.values.count(where: \.status.needsReview) } }

    public func moderationCase(_ id: UInt64) -> Case? { state.withLock { $0.cases[id] } }

    /// Decisions, newest first, before the journal position `before` (a cursor).
    public func decisions(limit: Int, before: UInt64?) -> (items: [Decision], next: UInt64?) {
        state.withLock { s in
            let end =
                before.map { cursor in s.decisions.firstIndex { $0.position >= cursor } ?? s.decisions.count }
                ?? s.decisions.count
            let page = Array(s.decisions[..<end].suffix(limit).reversed())
            return (page, end > page.count ? page.last?.position : nil)
        }
    }
}
