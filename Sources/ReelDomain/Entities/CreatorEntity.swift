import ReelJournal
import ReelRuntime

/// A creator's public profile. Only the profile: followers, likes and video lists are views, so a popular
/// creator's state stays as small as anyone's. A creator's id is the id of the user who creates.
public enum CreatorEntity: EventSourcedEntity {
    public typealias Event = ReelEvent
    public typealias Context = any DomainLookup

    public static let kind = StreamKind.creator
    public static let stateVersion: UInt16 = 1
    public static let maxNameLength = 50
    public static let maxBioLength = 300

    public struct State: Sendable, Hashable {
        public var id: UInt64
        /// Whether a profile was ever set (the first update creates it).
        public var exists = false
        public var name = ""
        public var bio = ""

        public init(id: UInt64) { self.id = id }
    }

    public enum Command: Sendable, Hashable {
        case updateProfile(name: String, bio: String, at: Timestamp)
        /// The creator's own filter for comments on their videos (replaces the previous one; empty clears it).
        case setCommentFilter(words: [String], at: Timestamp)
    }

    public static func initialState(id: UInt64) -> State { State(id: id) }

    public static func decide(_ command: Command, state s: State, context: Context) throws(CommandRejected) -> [ReelEvent] {
        switch command {
        case let .updateProfile(name, bio, at):
            guard name.hasLength(1...maxNameLength), !name.allSatisfy(\.isWhitespace), bio.hasLength(0...maxBioLength) else {
                throw CommandRejected("invalidProfile", "a name needs 1–\(maxNameLength) characters (not blank) and a bio at most \(maxBioLength)")
            }
            guard context.userExists(s.id) else {
                throw CommandRejected("unknownUser", "creator \(s.id) is not a registered user according to the catalogue view")
            }
            if s.exists && name == s.name && bio == s.bio { return [] }
            return [.creatorProfileUpdated(CreatorProfileUpdated(creator: s.id, name: name, bio: bio, occurredAt: at))]
        case let .setCommentFilter(words, at):
            guard context.userExists(s.id) else {
                throw CommandRejected("unknownUser", "creator \(s.id) is not a registered user according to the catalogue view")
            }
            switch CommentFilter.normalised(words) {
            case .failure(let rejected): throw rejected
            case .success(let list): return [.commentFilterSet(CreatorCommentFilterSet(creator: s.id, words: list, occurredAt: at))]
            }
        }
    }

    public static func evolve(_ s: inout State, with event: ReelEvent) {
        guard case .creatorProfileUpdated(let e) = event else { return }
        s.exists = true
        s.name = e.name
        s.bio = e.bio
    }

    public static func encode(_ s: State, into w: inout ByteWriter) {
        w.put(s.id)
        w.put(s.exists)
        w.put(s.name)
        w.put(s.bio)
    }

    public static func decode(_ r: inout ByteReader) throws(JournalError) -> State {
        var s = State(id: try r.get())
        s.exists = try r.get()
        s.name = try r.get()
        s.bio = try r.get()
        return s
    }

    public static func residentBytes(_ s: State) -> Int {
        MemoryLayout<State>.size + s.name.utf8.count + s.bio.utf8.count
    }

    /// The acting user is the creator, whose id is the stream's: only `metadata(for:state:)` knows it.
    public static func metadata(for command: Command) -> EventMetadata { EventMetadata() }

    public static func metadata(for command: Command, state: State) -> EventMetadata {
        EventMetadata(actorID: state.id)
    }
}
