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
