/// Identifies one entity's stream of events: an entity kind (user, session, video, creator, …) and its id.
///
/// Kinds are small numbers assigned by the domain; ids are 64-bit. Ordering is by kind, then id, which is the
/// order of the stream index files.
public struct StreamID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var kind: UInt16
    public var id: UInt64

    public init(kind: UInt16, id: UInt64) {
        self.kind = kind
        self.id = id
    }

    /// One `combine` instead of two: stream ids are hashed on every append.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id ^ (UInt64(kind) << 48))
    }

    public static func < (a: StreamID, b: StreamID) -> Bool {
        a.kind != b.kind ? a.kind < b.kind : a.id < b.id
    }

    /// `kind:id`, the form the command line accepts.
    public var description: String { "\(kind):\(id)" }

    /// Parses `kind:id`.
    public init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let k = UInt16(parts[0]), let i = UInt64(parts[1]) else { return nil }
        self.init(kind: k, id: i)
    }
}
