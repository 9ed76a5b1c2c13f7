import ReelJournal

/// What a report or a moderation decision is about. The raw values are part of the journal format.
public enum ModerationTarget: UInt8, Sendable, Hashable, ByteCoded {
    public static let payloadName = "moderation target"

    case video = 1
    case comment = 2
    case account = 3

}

/// What a moderator decided. The raw values are part of the journal format.
public enum ModerationAction: UInt8, Sendable, Hashable, ByteCoded {
    public static let payloadName = "moderation action"

    /// The video leaves every feed, the comment leaves its video, the account is suspended.
    case takedown = 1
    /// Undoes a takedown of a video or an account (a comment's removal is final).
    case restore = 2
    /// The reports were looked at and nothing is wrong.
    case dismiss = 3
    /// A video held for review is published.
    case approve = 4

}

/// A user reported a video, a comment or an account. Recorded on the target's moderation case stream
/// (`moderation:<target id>`); a reporter counts once per case until it is decided.
public struct ContentReported: DomainEvent {
    public static let type = "moderation.reported"
    public static let version: UInt16 = 1
    /// The reasons a report may give (a fixed list, so the queue can be sorted and counted by them).
    public static let reasons = [
        "spam", "harassment", "hate", "violence", "nudity", "self_harm", "minor_safety", "misinformation", "copyright",
        "other",
    ]

    public var reporter: UInt64
    public var target: ModerationTarget
    public var id: UInt64
    /// The video the target is on (the video itself; a comment's video; 0 for an account).
    public var video: UInt64
    /// Whose the target is: the video's creator, the comment's author, the account.
    public var subject: UInt64
    public var reason: String
    public var occurredAt: Timestamp

    public init(
        reporter: UInt64, target: ModerationTarget, id: UInt64, video: UInt64, subject: UInt64, reason: String,
        occurredAt: Timestamp
    ) {
        self.reporter = reporter
        self.target = target
        self.id = id
        self.video = video
        self.subject = subject
        self.reason = reason
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(reporter)
        w.put(target)
        w.put(id)
        w.put(video)
        w.put(subject)
        w.put(reason)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        reporter = try r.get()
        target = try r.get()
        id = try r.get()
        video = try r.get()
        subject = try r.get()
        reason = try r.get()
        occurredAt = try r.get()
    }
}

/// A processed upload looks like a video that moderation took down: it is not published but waits for a
/// moderator (approve publishes it, takedown removes it).
public struct ContentHeld: DomainEvent {
    public static let type = "moderation.held"
    public static let version: UInt16 = 1

    public var video: UInt64
    public var creator: UInt64
    /// The taken-down video it resembles.
    public var similarTo: UInt64
    public var occurredAt: Timestamp

    public init(video: UInt64, creator: UInt64, similarTo: UInt64, occurredAt: Timestamp) {
        self.video = video
        self.creator = creator
        self.similarTo = similarTo
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(creator)
        w.put(similarTo)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        creator = try r.get()
        similarTo = try r.get()
        occurredAt = try r.get()
    }
}

/// A moderator's decision on a case: the audit trail of moderation is these events, with who and why.
public struct ModerationDecided: DomainEvent {
    public static let type = "moderation.decided"
    public static let version: UInt16 = 1
    public static let maxReasonLength = 500
    public static let maxModeratorLength = 64

    public var target: ModerationTarget
    public var id: UInt64
    public var video: UInt64
    public var subject: UInt64
    public var action: ModerationAction
    /// The moderator's reason, shown to the subject (a takedown's reason becomes the video's).
    public var reason: String
    /// Who decided (the name the admin API or `reel moderation` was given).
    public var moderator: String
    public var occurredAt: Timestamp

    public init(
        target: ModerationTarget, id: UInt64, video: UInt64, subject: UInt64, action: ModerationAction, reason: String,
        moderator: String,
        occurredAt: Timestamp
    ) {
        self.target = target
        self.id = id
        self.video = video
        self.subject = subject
        self.action = action
        self.reason = reason
        self.moderator = moderator
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(target)
        w.put(id)
        w.put(video)
        w.put(subject)
        w.put(action)
        w.put(reason)
        w.put(moderator)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        target = try r.get()
        id = try r.get()
        video = try r.get()
        subject = try r.get()
        action = try r.get()
        reason = try r.get()
        moderator = try r.get()
        occurredAt = try r.get()
    }
}

/// A video that moderation took down is published again (a moderator restored it).
public struct VideoRestored: DomainEvent {
    public static let type = "video.restored"
    public static let version: UInt16 = 1

    public var video: UInt64
    public var occurredAt: Timestamp

    public init(video: UInt64, occurredAt: Timestamp) {
        self.video = video
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(video)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        video = try r.get()
        occurredAt = try r.get()
    }
}
