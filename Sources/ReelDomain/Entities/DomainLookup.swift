import ReelJournal
import Synchronization

/// What an entity may ask about other entities while deciding: a read-only question answered by views (the
/// catalogue), never by another actor, so no decision waits on a second entity. Views lag the journal a little,
/// so a check that reads one can be stale by a few events; rejections say so.
public protocol DomainLookup: Sendable {
    /// The public facts of a video, or nil when the catalogue view does not know it.
    func video(_ id: UInt64) -> VideoInfo?
    /// Whether a registered, not erased, user has this id (creators are users).
    func userExists(_ id: UInt64) -> Bool
}

/// The public facts of a video that other entities validate against.
public struct VideoInfo: Sendable, Hashable {
    public var status: VideoStatus
    public var creator: UInt64
    public var durationMillis: UInt64
    public var sound: UInt64
    public var hashtags: [String]

    public init(status: VideoStatus, creator: UInt64, durationMillis: UInt64, sound: UInt64 = 0, hashtags: [String] = []) {
        self.status = status
        self.creator = creator
        self.durationMillis = durationMillis
        self.sound = sound
        self.hashtags = hashtags
    }
}

/// An in-memory `DomainLookup` for tests and tools: users and videos set by hand.
public final class StaticLookup: DomainLookup {
    private struct Contents {
        var users: Set<UInt64>
        var videos: [UInt64: VideoInfo]
    }
    private let contents: Mutex<Contents>

    public init(users: [UInt64] = [], videos: [UInt64: VideoInfo] = [:]) {
        contents = Mutex(Contents(users: Set(users), videos: videos))
    }

    public func video(_ id: UInt64) -> VideoInfo? { contents.withLock { $0.videos[id] } }
    public func userExists(_ id: UInt64) -> Bool { contents.withLock { $0.users.contains(id) } }

    public func addUser(_ id: UInt64) { _ = contents.withLock { $0.users.insert(id) } }
    public func removeUser(_ id: UInt64) { _ = contents.withLock { $0.users.remove(id) } }
    /// Sets (or, with nil, forgets) a video's facts.
    public func setVideo(_ id: UInt64, _ info: VideoInfo?) { contents.withLock { $0.videos[id] = info } }
}

// Small helpers the entities share: bounded and sorted arrays keep states small and their encoding
// deterministic (no Dictionary or Set is ever iterated to encode a state).

extension Array where Element == UInt64 {
    /// The index of `value` in a sorted array, or where it would be inserted.
    ///
    /// Without data-dependent branches (the halving step is a conditional move): the lists searched in the
    /// fold's hot paths (seen videos, interest features) are searched for random values, so a branch per
    /// step was a misprediction per step.
    @inlinable
    public func sortedIndex(of value: UInt64) -> (index: Int, found: Bool) {
        withUnsafeBufferPointer { b in
            var n = b.count
            guard n > 0, let p = b.baseAddress else { return (0, false) }
            var base = 0
            while n > 1 {
                let half = n >> 1
                base = p[base &+ half] < value ? base &+ half : base
                n &-= half
            }
            let index = base &+ (p[base] < value ? 1 : 0)
            return (index, index < b.count && p[index] == value)
        }
    }

    func sortedContains(_ value: UInt64) -> Bool { sortedIndex(of: value).found }

    mutating func sortedInsert(_ value: UInt64) {
        let (i, found) = sortedIndex(of: value)
        if !found { insert(value, at: i) }
    }

    mutating func sortedRemove(_ value: UInt64) {
        let (i, found) = sortedIndex(of: value)
        if found { remove(at: i) }
    }
}

extension Array {
    /// Appends and drops the oldest elements beyond `limit`.
    mutating func appendBounded<S: Sequence>(contentsOf items: S, limit: Int) where S.Element == Element {
        append(contentsOf: items)
        if count > limit { removeFirst(count - limit) }
    }

    mutating func appendBounded(_ item: Element, limit: Int) { appendBounded(contentsOf: CollectionOfOne(item), limit: limit) }

    /// Heap bytes of the array's buffer (capacity, not count: that is what stays allocated).
    var bufferBytes: Int { capacity * MemoryLayout<Element>.stride }
}

extension Array where Element == String {
    /// Buffer plus the strings' UTF-8 bytes.
    var residentBytes: Int { bufferBytes + reduce(0) { $0 + $1.utf8.count } }
}

extension String {
    /// Bytes a limit in characters allows for each: a character is a grapheme cluster, which combining marks
    /// can make as long as one likes (a 500-character comment of 1,000,500 bytes was accepted). Eight bytes
    /// covers every script and most emoji sequences; text beyond it is refused as too long.
    public static let maxBytesPerCharacter = 8

    /// Whether its length in characters (grapheme clusters, as people count them) lies in `range`, and its
    /// UTF-8 bytes within `maxBytesPerCharacter` times the upper bound.
    func hasLength(_ range: ClosedRange<Int>) -> Bool {
        utf8.count <= range.upperBound * Self.maxBytesPerCharacter && range.contains(count)
    }
}

/// Snapshot decoding refuses an id list that is not strictly ascending: entities rely on the order.
func requireAscending(_ ids: [UInt64], _ what: String) throws(JournalError) {
    for i in ids.indices.dropFirst() where ids[i - 1] >= ids[i] {
        throw JournalError(.malformed, "\(what) are not in ascending order at item \(i)")
    }
}
