import ReelJournal
import ReelRuntime

/// A user account: its public profile and the relations that outlive a session (follows and blocks).
///
/// Email and display name are never kept in the state: they travel sealed in the events, so no snapshot holds
/// a decrypted copy that would outlive an erasure. Follower lists are views, never state here or on creators.
public enum UserEntity: EventSourcedEntity {
    public typealias Event = ReelEvent
    public typealias Context = any DomainLookup

    public static let kind = StreamKind.user
    public static let stateVersion: UInt16 = 1
    /// Follows and blocks are capped so that the state (and its snapshot) stays bounded.
    public static let maxFollows = 10_000
    public static let maxBlocks = 10_000

    public struct State: Sendable, Hashable {
        public var id: UInt64
        public var registered = false
        public var handle = ""
        public var region = ""
        /// Erased accounts take no more commands and keep no relations.
        public var erased = false
        /// Followed creators, ascending.
        public var following: [UInt64] = []
        /// Blocked creators, ascending.
        public var blocked: [UInt64] = []
        /// The registration's `occurredAt` (an import keeps the original date).
        public var registeredAt = Timestamp.zero

        public init(id: UInt64) { self.id = id }
    }

    public enum Command: Sendable, Hashable {
        case register(handle: String, region: String, email: String, displayName: String, at: Timestamp)
        /// Email and display name change together or not at all (nil, nil): the state keeps no personal data to
        /// fill in the missing one.
        case changeProfile(handle: String, region: String, email: String?, displayName: String?, at: Timestamp)
        case erase(at: Timestamp)
        case follow(creator: UInt64, session: UInt64, at: Timestamp)
        case unfollow(creator: UInt64, session: UInt64, at: Timestamp)
        /// Blocking also ends a follow.
        case block(creator: UInt64, session: UInt64, at: Timestamp)
    }

    public static func initialState(id: UInt64) -> State { State(id: id) }

    public static func decide(_ command: Command, state s: State, context: Context) throws(CommandRejected) -> [ReelEvent] {
        if s.erased { throw CommandRejected("erased", "user \(s.id) was erased and takes no more commands") }
        if case .register = command {} else if !s.registered {
            throw CommandRejected("unknownUser", "user \(s.id) is not registered")
        }
        switch command {
        case let .register(handle, region, email, displayName, at):
            guard !s.registered else { throw CommandRejected("alreadyRegistered", "user \(s.id) is already registered as \(s.handle)") }
            try checkHandle(handle)
            try checkProfile(region: region, email: email, displayName: displayName)
            return [.userRegistered(UserRegistered(user: s.id, handle: handle, region: region, occurredAt: at),
                                    PersonalProfile(email: email, displayName: displayName))]

        case let .changeProfile(handle, region, email, displayName, at):
            try checkHandle(handle)
            try checkProfile(region: region, email: email, displayName: displayName)
            let personal: PersonalProfile?
            switch (email, displayName) {
            case (nil, nil): personal = nil
            case let (e?, d?): personal = PersonalProfile(email: e, displayName: d)
            default:
                throw CommandRejected("incompleteProfile", "email and display name change together: the user entity keeps no personal data to fill in the other")
            }
            if personal == nil && handle == s.handle && region == s.region { return [] }
            return [.userProfileChanged(UserProfileChanged(user: s.id, handle: handle, region: region, occurredAt: at), personal)]

        case .erase(let at):
            return [.userErased(UserErased(user: s.id, occurredAt: at))]

        case let .follow(creator, session, at):
            guard creator != s.id else { throw CommandRejected("cannotFollowSelf", "user \(s.id) cannot follow themselves") }
            guard !s.blocked.sortedContains(creator) else {
                throw CommandRejected("creatorBlocked", "user \(s.id) blocked creator \(creator); a blocked creator cannot be followed")
            }
            if s.following.sortedContains(creator) { return [] }
            guard s.following.count < maxFollows else {
                throw CommandRejected("tooManyFollows", "user \(s.id) already follows \(maxFollows) creators, the most allowed")
            }
            try requireCreator(creator, context)
            return [.followed(CreatorFollowed(user: s.id, creator: creator, session: session, occurredAt: at))]

        case let .unfollow(creator, session, at):
            guard s.following.sortedContains(creator) else { return [] }
            return [.unfollowed(CreatorUnfollowed(user: s.id, creator: creator, session: session, occurredAt: at))]

        case let .block(creator, session, at):
            guard creator != s.id else { throw CommandRejected("cannotBlockSelf", "user \(s.id) cannot block themselves") }
            if s.blocked.sortedContains(creator) { return [] }
            guard s.blocked.count < maxBlocks else {
                throw CommandRejected("tooManyBlocks", "user \(s.id) already blocks \(maxBlocks) creators, the most allowed")
            }
            try requireCreator(creator, context)
            return [.blocked(CreatorBlocked(user: s.id, creator: creator, session: session, occurredAt: at))]
        }
    }

    public static let maxEmailBytes = 254  // RFC 5321's limit on a forward path
    public static let maxDisplayNameLength = 50
    public static let maxRegionLength = 8

    /// Personal fields and region within their limits (each goes into the journal as written).
    public static func checkProfile(region: String, email: String?, displayName: String?) throws(CommandRejected) {
        guard region.hasLength(0...maxRegionLength) else {
            throw CommandRejected("invalidProfile", "a region is a short code like \"US\" (at most \(maxRegionLength) characters)")
        }
        if let email, !(email.utf8.count <= maxEmailBytes) {
            throw CommandRejected("invalidProfile", "an email address has at most \(maxEmailBytes) bytes")
        }
        if let displayName, !displayName.hasLength(0...maxDisplayNameLength) {
            throw CommandRejected("invalidProfile", "a display name has at most \(maxDisplayNameLength) characters")
        }
    }

    /// Handles are public and appear in URLs: 1–30 characters of a–z, 0–9, '_' and '.'.
    public static func checkHandle(_ handle: String) throws(CommandRejected) {
        let allowed = handle.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f || $0 == 0x2e }
        guard allowed, (1...30).contains(handle.utf8.count) else {
            throw CommandRejected("invalidHandle", "handle \"\(handle)\" must be 1–30 characters of a–z, 0–9, '_' and '.'")
        }
    }

    static func requireCreator(_ creator: UInt64, _ context: Context) throws(CommandRejected) {
        guard context.userExists(creator) else {
            throw CommandRejected("unknownCreator", "no creator \(creator) according to the catalogue view (which may lag a registration by a moment)")
        }
    }

    public static func evolve(_ s: inout State, with event: ReelEvent) {
        switch event {
        case .userRegistered(let e, _):
            s.registered = true
            s.handle = e.handle
            s.region = e.region
            s.registeredAt = e.occurredAt
        case .userProfileChanged(let e, _):
            s.handle = e.handle
            s.region = e.region
        case .userErased:
            s.erased = true
            s.handle = ""
            s.region = ""
            s.following = []
            s.blocked = []
        case .followed(let e): s.following.sortedInsert(e.creator)
        case .unfollowed(let e): s.following.sortedRemove(e.creator)
        case .blocked(let e):
            s.following.sortedRemove(e.creator)
            s.blocked.sortedInsert(e.creator)
        default: break
        }
    }

    public static func encode(_ s: State, into w: inout ByteWriter) {
        w.put(s.id)
        w.put(s.registered)
        w.put(s.handle)
        w.put(s.region)
        w.put(s.erased)
        w.put(s.following)
        w.put(s.blocked)
        w.put(s.registeredAt)
    }

    public static func decode(_ r: inout ByteReader) throws(JournalError) -> State {
        var s = State(id: try r.get())
        s.registered = try r.get()
        s.handle = try r.get()
        s.region = try r.get()
        s.erased = try r.get()
        s.following = try r.get()
        s.blocked = try r.get()
        s.registeredAt = try r.get()
        try requireAscending(s.following, "followed creators")
        try requireAscending(s.blocked, "blocked creators")
        return s
    }

    public static func residentBytes(_ s: State) -> Int {
        MemoryLayout<State>.size + s.handle.utf8.count + s.region.utf8.count + s.following.bufferBytes + s.blocked.bufferBytes
    }

    /// What the command alone tells: the session a relation change came from. The acting user is the stream's
    /// id, which only `metadata(for:state:)` knows.
    public static func metadata(for command: Command) -> EventMetadata {
        switch command {
        case let .follow(_, session, _), let .unfollow(_, session, _), let .block(_, session, _):
            EventMetadata(correlationID: session)
        case .register, .changeProfile, .erase:
            EventMetadata()
        }
    }

    /// The full metadata: the acting user is always the account itself.
    public static func metadata(for command: Command, state: State) -> EventMetadata {
        var m = metadata(for: command)
        m.actorID = state.id
        return m
    }
}
