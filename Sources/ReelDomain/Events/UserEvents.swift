import ReelJournal

// Events of a user account's stream (`StreamID.user(id)`): profile and the relations that outlive a session.

/// The public handle or region changed; a new email or display name travels as sealed personal data (`PersonalProfile`).
public struct UserProfileChanged: DomainEvent {
    public static let type = "user.profileChanged"
    /// Version 2: the text fields travel sealed (`SealedFields`), empty in the payload.
    public static let version: UInt16 = 2

    public var user: UInt64
    public var handle: String
    public var region: String
    public var occurredAt: Timestamp

    public init(user: UInt64, handle: String, region: String, occurredAt: Timestamp) {
        self.user = user
        self.handle = handle
        self.region = region
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(user)
        w.put(handle)
        w.put(region)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        user = try r.get()
        handle = try r.get()
        region = try r.get()
        occurredAt = try r.get()
    }
}

/// The person asked to be forgotten: their key is deleted, so every sealed field of theirs is unreadable. Views drop what they derived from the personal data.
public struct UserErased: DomainEvent {
    public static let type = "user.erased"
    public static let version: UInt16 = 1

    public var user: UInt64
    public var occurredAt: Timestamp

    public init(user: UInt64, occurredAt: Timestamp) {
        self.user = user
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(user)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        user = try r.get()
        occurredAt = try r.get()
    }
}

/// The user followed a creator (creator ids are the ids of the users who create).
public struct CreatorFollowed: DomainEvent {
    public static let type = "user.followed"
    public static let version: UInt16 = 1

    public var user: UInt64
    public var creator: UInt64
    public var session: UInt64
    public var occurredAt: Timestamp

    public init(user: UInt64, creator: UInt64, session: UInt64, occurredAt: Timestamp) {
        self.user = user
        self.creator = creator
        self.session = session
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(user)
        w.put(creator)
        w.put(session)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        user = try r.get()
        creator = try r.get()
        session = try r.get()
        occurredAt = try r.get()
    }
}

/// The user stopped following a creator.
public struct CreatorUnfollowed: DomainEvent {
    public static let type = "user.unfollowed"
    public static let version: UInt16 = 1

    public var user: UInt64
    public var creator: UInt64
    public var session: UInt64
    public var occurredAt: Timestamp

    public init(user: UInt64, creator: UInt64, session: UInt64, occurredAt: Timestamp) {
        self.user = user
        self.creator = creator
        self.session = session
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(user)
        w.put(creator)
        w.put(session)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        user = try r.get()
        creator = try r.get()
        session = try r.get()
        occurredAt = try r.get()
    }
}

/// The user blocked a creator: their videos are never served to this user again, and a follow ends.
public struct CreatorBlocked: DomainEvent {
    public static let type = "user.blocked"
    public static let version: UInt16 = 1

    public var user: UInt64
    public var creator: UInt64
    public var session: UInt64
    public var occurredAt: Timestamp

    public init(user: UInt64, creator: UInt64, session: UInt64, occurredAt: Timestamp) {
        self.user = user
        self.creator = creator
        self.session = session
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(user)
        w.put(creator)
        w.put(session)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        user = try r.get()
        creator = try r.get()
        session = try r.get()
        occurredAt = try r.get()
    }
}
