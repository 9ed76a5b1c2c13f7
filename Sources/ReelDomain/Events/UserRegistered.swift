import ReelJournal

/// A user account was created. Handle, email and display name are personal data, sealed under the user's key
/// (`SealedFields`; version 1 sealed only email and display name, as `PersonalProfile`) and so erased with it.
public struct UserRegistered: DomainEvent {
    public static let type = "user.registered"
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
        w.writeVarint(user)
        w.writeString(handle)
        w.writeString(region)
        w.writeZigzag(occurredAt.milliseconds)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        user = try r.readVarint()
        handle = try r.readString()
        region = try r.readString()
        occurredAt = Timestamp(milliseconds: try r.readZigzag())
    }

    public var fields: [(String, JSONValue)] {
        [("user", .uint(user)), ("handle", .string(handle)), ("region", .string(region)), ("occurredAt", .string(occurredAt.description))]
    }
}

/// The personal part of a user's profile, stored as an event's sealed personal data.
public struct PersonalProfile: Sendable, Hashable {
    public var email: String
    public var displayName: String

    public init(email: String, displayName: String) {
        self.email = email
        self.displayName = displayName
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.writeString(email)
        w.writeString(displayName)
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(JournalError) -> PersonalProfile {
        try bytes.withBytes { (raw) throws(JournalError) in
            var r = ByteReader(raw)
            return PersonalProfile(email: try r.readString(), displayName: try r.readString())
        }
    }
}
