import ReelJournal
import ReelRuntime

/// Where a moderation case is. The raw values are part of the snapshot format: never reuse one.
public enum CaseStatus: UInt8, Sendable, Hashable, ByteCoded {
    public static let payloadName = "case status"

    /// No report yet, or none since the last decision was undone.
    case none = 0
    /// Reported, waiting for a moderator.
    case open = 1
    /// An upload held before publication (it looks like a taken-down video), waiting for a moderator.
    case held = 2
    /// Taken down.
    case actioned = 3
    /// Looked at; nothing wrong (or a held video approved).
    case dismissed = 4
    /// A takedown undone.
    case restored = 5

    /// Whether the case waits in the review queue.
    public var needsReview: Bool { self == .open || self == .held }

    /// Where a decision leaves a case.
    public static func after(_ action: ModerationAction) -> CaseStatus {
        switch action {
        case .takedown: .actioned
        case .restore: .restored
        case .dismiss, .approve: .dismissed
        }
    }
}

/// The moderation of one video, comment or account: its reports and the decisions on them, one stream per
/// target (`moderation:<target id>`; ids are unique across kinds). The case owns the rules (a reporter counts
/// once per round of review, only a takedown can be restored, a held upload is approved or taken down); the
/// engine carries a decision's effect to the video or account, each step idempotent so a retry finishes it.
public enum ModerationCaseEntity: EventSourcedEntity {
    public typealias Event = ReelEvent
    public typealias Context = any DomainLookup

    public static let kind = StreamKind.moderation
    public static let stateVersion: UInt16 = 1
    /// Reporters remembered per round of review (beyond it, a repeat reporter may count again; the number is
    /// far past any review threshold).
    public static let maxRemembered = 1_000

    public struct State: Sendable, Hashable {
        public var id: UInt64
        public var target: ModerationTarget?
        public var video: UInt64 = 0
        public var subject: UInt64 = 0
        public var status = CaseStatus.none
        /// Reports since the last decision, and who made them (sorted).
        public var reports: UInt64 = 0
        public var reporters: [UInt64] = []
        /// For a held upload: the taken-down video it resembles.
        public var similarTo: UInt64 = 0

        public init(id: UInt64) { self.id = id }
    }

    public enum Command: Sendable, Hashable {
        case report(
            reporter: UInt64, target: ModerationTarget, video: UInt64, subject: UInt64, reason: String, at: Timestamp)
        case hold(creator: UInt64, similarTo: UInt64, at: Timestamp)
        case decide(
            target: ModerationTarget, video: UInt64, subject: UInt64, action: ModerationAction, reason: String,
            moderator: String, at: Timestamp)
    }

    public static func initialState(id: UInt64) -> State { State(id: id) }

    public static func decide(_ command: Command, state s: State, context: Context) throws(CommandRejected)
        -> [ReelEvent]
    {
        switch command {
        case .report(let reporter, let target, let video, let subject, let reason, let at):
            try sameTarget(s, target)
            guard ContentReported.reasons.contains(reason) else {
                throw CommandRejected(
                    "invalidReason",
                    "a report's reason is one of \(ContentReported.reasons.joined(separator: ", ")), not \"\(reason)\"")
            }
            guard context.userExists(reporter) else {
                throw CommandRejected("unknownUser", "no user \(reporter) according to the catalogue view")
            }
            guard reporter != subject else {
                throw CommandRejected("ownContent", "one cannot report one's own \(target)")
            }
            // Already taken down, or already counted in this round: nothing more to review.
            if s.status == .actioned || s.reporters.binarySearch(reporter) != nil { return [] }
            return [
                .reported(
                    ContentReported(
                        reporter: reporter, target: target, id: s.id, video: video, subject: subject, reason: reason,
                        occurredAt: at))
            ]
        case .hold(let creator, let similarTo, let at):
            try sameTarget(s, .video)
            if s.status == .held || s.status == .actioned { return [] }
            return [.held(ContentHeld(video: s.id, creator: creator, similarTo: similarTo, occurredAt: at))]
        case .decide(let target, let video, let subject, let action, let reason, let moderator, let at):
            try sameTarget(s, target)
            guard reason.hasLength(1...ModerationDecided.maxReasonLength), !reason.allSatisfy(\.isWhitespace) else {
                throw CommandRejected(
                    "invalidReason", "a decision needs a reason of 1–\(ModerationDecided.maxReasonLength) characters")
            }
            guard moderator.hasLength(1...ModerationDecided.maxModeratorLength), !moderator.allSatisfy(\.isWhitespace)
            else {
                throw CommandRejected(
                    "invalidModerator",
                    "a decision names its moderator in 1–\(ModerationDecided.maxModeratorLength) characters")
            }
            guard try allowed(action, on: target, from: s.status) else { return [] }
            return [
                .moderationDecided(
                    ModerationDecided(
                        target: target, id: s.id, video: video, subject: subject, action: action, reason: reason,
                        moderator: moderator,
                        occurredAt: at))
            ]
        }
    }

    /// Whether `action` moves a case in `status` (false: it is there already, a retry), or why it cannot.
    static func allowed(_ action: ModerationAction, on target: ModerationTarget, from status: CaseStatus)
        throws(CommandRejected) -> Bool
    {
        func refuse(_ why: String) -> CommandRejected { CommandRejected("invalidTransition", why) }
        switch action {
        case .takedown: return status != .actioned
        case .restore:
            guard target != .comment else { throw refuse("a comment's removal is final") }
            if status == .restored { return false }
            guard status == .actioned else { throw refuse("only a takedown can be restored; this case is \(status)") }
            return true
        case .dismiss:
            if status == .dismissed { return false }
            guard status == .open else {
                throw refuse(
                    "only an open case can be dismissed (a held upload is approved or taken down); this case is \(status)"
                )
            }
            return true
        case .approve:
            guard status == .held else { throw refuse("only a held upload can be approved; this case is \(status)") }
            return true
        }
    }

    static func sameTarget(_ s: State, _ target: ModerationTarget) throws(CommandRejected) {
        guard s.target == nil || s.target == target else {
            throw CommandRejected("invalidTarget", "case \(s.id) is about a \(s.target!), not a \(target)")
        }
    }

    public static func evolve(_ s: inout State, with event: ReelEvent) {
        switch event {
        case .reported(let e):
            s.target = e.target
            (s.video, s.subject) = (e.video, e.subject)
            if s.status != .held { s.status = .open }
            s.reports += 1
            if s.reporters.count < maxRemembered, s.reporters.binarySearch(e.reporter) == nil {
                s.reporters.insert(e.reporter, at: s.reporters.insertionIndex(e.reporter))
            }
        case .held(let e):
            s.target = .video
            (s.video, s.subject, s.similarTo) = (e.video, e.creator, e.similarTo)
            s.status = .held
        case .moderationDecided(let e):
            s.target = e.target
            (s.video, s.subject) = (e.video, e.subject)
            s.status = .after(e.action)
            s.reports = 0
            s.reporters = []
        default: break
        }
    }

    public static func encode(_ s: State, into w: inout ByteWriter) {
        w.put(s.id)
        w.writeByte(s.target?.rawValue ?? 0)
        w.put(s.video)
        w.put(s.subject)
        w.put(s.status)
        w.put(s.reports)
        w.put(s.reporters)
        w.put(s.similarTo)
    }

    public static func decode(_ r: inout ByteReader) throws(JournalError) -> State {
        var s = State(id: try r.get())
        let t = try r.readByte()
        if t != 0 {
            guard let target = ModerationTarget(rawValue: t) else {
                throw JournalError(.malformed, "unknown moderation target \(t)")
            }
            s.target = target
        }
        s.video = try r.get()
        s.subject = try r.get()
        s.status = try r.get()
        s.reports = try r.get()
        s.reporters = try r.get()
        s.similarTo = try r.get()
        return s
    }

    public static func residentBytes(_ s: State) -> Int { MemoryLayout<State>.size + 8 * s.reporters.count }

    public static func metadata(for command: Command, state: State) -> EventMetadata {
        switch command {
        case .report(let reporter, _, _, _, _, _): EventMetadata(actorID: reporter)
        case .hold, .decide: EventMetadata()
        }
    }
}

extension [UInt64] {
    /// The index of `value` in this sorted array, or nil.
    func binarySearch(_ value: UInt64) -> Int? {
        let i = insertionIndex(value)
        return i < count && self[i] == value ? i : nil
    }

    /// Where `value` goes to keep this sorted array sorted.
    func insertionIndex(_ value: UInt64) -> Int {
        var (lo, hi) = (0, count)
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
