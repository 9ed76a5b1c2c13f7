import ReelJournal

// Events of a creator's stream (`StreamID.creator(id)`): the public profile only. Followers and likes are views.

/// The creator's public name or bio changed (the first one creates the profile).
public struct CreatorProfileUpdated: DomainEvent {
    public static let type = "creator.profileUpdated"
    /// Version 2: the text fields travel sealed (`SealedFields`), empty in the payload.
    public static let version: UInt16 = 2

    public var creator: UInt64
    public var name: String
    public var bio: String
    public var occurredAt: Timestamp

    public init(creator: UInt64, name: String, bio: String, occurredAt: Timestamp) {
        self.creator = creator
        self.name = name
        self.bio = bio
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(creator)
        w.put(name)
        w.put(bio)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        creator = try r.get()
        name = try r.get()
        bio = try r.get()
        occurredAt = try r.get()
    }
}

/// A creator's own comment filter: comments on their videos with one of these words (or phrases) are
/// refused. The words travel sealed under the creator (`SealedFields`, one string, newline-separated): they
/// are something the person wrote.
public struct CreatorCommentFilterSet: DomainEvent {
    public static let type = "creator.commentFilterSet"
    public static let version: UInt16 = 1
    public static let maxWords = 100
    public static let maxWordLength = 50

    public var creator: UInt64
    /// Empty in the payload; filled from the sealed personal data when readable.
    public var words: [String]
    public var occurredAt: Timestamp

    public init(creator: UInt64, words: [String], occurredAt: Timestamp) {
        self.creator = creator
        self.words = words
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(creator)
        w.put(words)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        creator = try r.get()
        words = try r.get()
        occurredAt = try r.get()
    }
}
