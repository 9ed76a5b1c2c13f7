import ReelDomain
import ReelJournal

/// A video's public state, which other entities consult (through `DomainLookup`) and feeds render.
public struct CatalogueVideo: MirroredFields, Hashable {
    public var status: UInt32 = UInt32(VideoStatus.none.rawValue)
    public var creator: UInt64 = 0
    public var sound: UInt64 = 0
    public var durationMillis: UInt64 = 0
    public var caption: String = ""
    public var hashtags: [String] = []
    public var renditions: [String] = []
    /// The original of a duet or stitch (0: none).
    public var source: UInt64 = 0
    public var publishedAt: Timestamp = .zero

    public var videoStatus: VideoStatus { VideoStatus(rawValue: UInt8(truncatingIfNeeded: status)) ?? .none }

    public static func read(from r: inout ByteReader) throws(JournalError) -> CatalogueVideo {
        CatalogueVideo(
            status: try r.get(), creator: try r.get(), sound: try r.get(), durationMillis: try r.get(), caption: try r.get(),
            hashtags: try r.get(), renditions: try r.get(), source: try r.get(), publishedAt: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(status)
        w.put(creator)
        w.put(sound)
        w.put(durationMillis)
        w.put(caption)
        w.put(hashtags)
        w.put(renditions)
        w.put(source)
        w.put(publishedAt)
    }
}

/// A user's public account facts (personal data is never kept in views' tables).
public struct CatalogueUser: MirroredFields, Hashable {
    public var handle: String = ""
    public var region: String = ""
    public var erased: Bool = false

    public static func read(from r: inout ByteReader) throws(JournalError) -> CatalogueUser {
        CatalogueUser(handle: try r.get(), region: try r.get(), erased: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(handle)
        w.put(region)
        w.put(erased)
    }
}

public struct CatalogueCreator: MirroredFields, Hashable {
    public var name: String = ""
    public var bio: String = ""

    public static func read(from r: inout ByteReader) throws(JournalError) -> CatalogueCreator {
        CatalogueCreator(name: try r.get(), bio: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(name)
        w.put(bio)
    }
}

/// Per-video engagement counts. A "play" is a watch or a skip.
public struct VideoCounters: MirroredFields, Hashable {
    public var plays: UInt64 = 0
    public var uniqueViewers: UInt64 = 0
    public var completions: UInt64 = 0
    public var likes: UInt64 = 0
    public var shares: UInt64 = 0
    public var saves: UInt64 = 0
    public var comments: UInt64 = 0
    public var notInterested: UInt64 = 0
    /// Sum of each play's watched fraction of the duration (loops count beyond 1).
    public var watchFractionSum: Double = 0

    public var completionRate: Double { plays == 0 ? 0 : Double(completions) / Double(plays) }
    public var averageWatchFraction: Double { plays == 0 ? 0 : watchFractionSum / Double(plays) }

    public static func read(from r: inout ByteReader) throws(JournalError) -> VideoCounters {
        VideoCounters(
            plays: try r.get(), uniqueViewers: try r.get(), completions: try r.get(), likes: try r.get(), shares: try r.get(),
            saves: try r.get(), comments: try r.get(), notInterested: try r.get(), watchFractionSum: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(plays)
        w.put(uniqueViewers)
        w.put(completions)
        w.put(likes)
        w.put(shares)
        w.put(saves)
        w.put(comments)
        w.put(notInterested)
        w.put(watchFractionSum)
    }

    public var json: JSONValue {
        var f = mirroredFields(self)
        f.append(("completionRate", .double(completionRate)))
        f.append(("averageWatchFraction", .double(averageWatchFraction)))
        return .object(f)
    }
}

/// Per-person social counts: followers and total likes (as a creator), following (as a viewer).
public struct PersonCounters: MirroredFields, Hashable {
    public var followers: UInt64 = 0
    public var following: UInt64 = 0
    public var totalLikes: UInt64 = 0

    public static func read(from r: inout ByteReader) throws(JournalError) -> PersonCounters {
        PersonCounters(followers: try r.get(), following: try r.get(), totalLikes: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(followers)
        w.put(following)
        w.put(totalLikes)
    }
}

/// A sorted list of ids (followers, following, blocked, seen videos): compact (8 bytes an id), and its
/// encoding is canonical by construction.
public struct IDList: PayloadValue, Hashable {
    public private(set) var ids: [UInt64] = []

    public init(ids: [UInt64] = []) { self.ids = ids }

    public func contains(_ id: UInt64) -> Bool { index(id).found }

    /// Inserts; returns false if it was there already.
    @discardableResult
    public mutating func insert(_ id: UInt64) -> Bool {
        let (i, found) = index(id)
        if !found { ids.insert(id, at: i) }
        return !found
    }

    @discardableResult
    public mutating func remove(_ id: UInt64) -> Bool {
        let (i, found) = index(id)
        if found { ids.remove(at: i) }
        return found
    }

    private func index(_ id: UInt64) -> (Int, found: Bool) { ids.sortedIndex(of: id) }

    /// Delta-encoded: ascending ids cost a byte or two each.
    public static func read(from r: inout ByteReader) throws(JournalError) -> IDList {
        let n = try r.readVarint()
        guard n <= UInt64(r.remaining) else { throw JournalError(.malformed, "an id list of \(n) is longer than its bytes") }
        var ids: [UInt64] = []
        ids.reserveCapacity(Int(n))
        var previous: UInt64 = 0
        for i in 0..<n {
            let d = try r.readVarint()
            let (v, overflow) = previous.addingReportingOverflow(d)
            guard !overflow, i == 0 || d > 0 else { throw JournalError(.malformed, "an id list is not strictly ascending") }
            ids.append(v)
            previous = v
        }
        return IDList(ids: ids)
    }
    public func write(to w: inout ByteWriter) {
        w.writeVarint(UInt64(ids.count))
        var previous: UInt64 = 0
        for id in ids {
            w.writeVarint(id - previous)
            previous = id
        }
    }
    public var json: JSONValue { .array(ids.map { .uint($0) }) }
}

/// The comments a person has standing (comment id ascending, with the video each is under), so that erasing
/// them takes their comments out of the videos' counts.
public struct AuthoredComments: PayloadValue, Hashable {
    public private(set) var comments: [UInt64] = []
    public private(set) var videos: [UInt64] = []

    public init() {}

    mutating func insert(comment: UInt64, video: UInt64) {
        let (i, found) = comments.sortedIndex(of: comment)
        guard !found else { return }
        comments.insert(comment, at: i)
        videos.insert(video, at: i)
    }

    /// Removes; returns false if the comment was not there.
    @discardableResult
    mutating func remove(comment: UInt64) -> Bool {
        let (i, found) = comments.sortedIndex(of: comment)
        guard found else { return false }
        comments.remove(at: i)
        videos.remove(at: i)
        return true
    }

    public static func read(from r: inout ByteReader) throws(JournalError) -> AuthoredComments {
        let n = try r.readVarint()
        guard n <= UInt64(r.remaining) else { throw JournalError(.malformed, "a list of \(n) comments is longer than its bytes") }
        var a = AuthoredComments()
        var previous: UInt64 = 0
        for i in 0..<n {
            let d = try r.readVarint()
            let (c, overflow) = previous.addingReportingOverflow(d)
            guard !overflow, i == 0 || d > 0 else { throw JournalError(.malformed, "a comment list is not strictly ascending") }
            a.comments.append(c)
            a.videos.append(try r.readVarint())
            previous = c
        }
        return a
    }
    public func write(to w: inout ByteWriter) {
        w.writeVarint(UInt64(comments.count))
        var previous: UInt64 = 0
        for (c, v) in zip(comments, videos) {
            w.writeVarint(c - previous)
            w.writeVarint(v)
            previous = c
        }
    }
    public var json: JSONValue {
        .array(zip(comments, videos).map { .object([("comment", .uint($0)), ("video", .uint($1))]) })
    }
}

/// What a user has been served and has watched.
public struct SeenVideos: MirroredFields, Hashable {
    public var watched = IDList()
    public var served = IDList()

    public func contains(_ video: UInt64) -> Bool { watched.contains(video) || served.contains(video) }

    public static func read(from r: inout ByteReader) throws(JournalError) -> SeenVideos {
        SeenVideos(watched: try r.get(), served: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(watched)
        w.put(served)
    }
}

/// A session's viewer and region, which region-scoped views need for engagement events.
public struct SessionInfo: MirroredFields, Hashable {
    public var viewer: UInt64 = 0
    public var region: UInt32 = 0

    public static func read(from r: inout ByteReader) throws(JournalError) -> SessionInfo {
        SessionInfo(viewer: try r.get(), region: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(viewer)
        w.put(region)
    }
}

/// A name for a hashed key (hashtags), so views can show what a hash stands for.
public struct Label: MirroredFields, Hashable {
    public var name: String = ""
    public static func read(from r: inout ByteReader) throws(JournalError) -> Label { Label(name: try r.get()) }
    public func write(to w: inout ByteWriter) { w.put(name) }
}

// All-zero counters for modules outside this one (the synthesized initialisers are internal).
extension VideoCounters { public static var zero: VideoCounters { VideoCounters() } }
extension PersonCounters { public static var zero: PersonCounters { PersonCounters() } }
