import ReelDomain
import ReelJournal
import ReelRuntime
import ReelViews

/// A video as the catalogue and counters views know it.
public struct VideoDetails: Sendable, Hashable {
    public var id: UInt64
    public var status: VideoStatus
    public var creator: UInt64
    public var caption: String
    public var hashtags: [String]
    public var sound: UInt64
    public var durationMillis: UInt64
    public var renditions: [String]
    /// The duet or stitch source (0 for an original).
    public var source: UInt64
    public var publishedAt: Timestamp
    public var counters: VideoCounters
}

/// A user's public profile (personal data such as email stays out of views).
public struct UserProfile: Sendable, Hashable {
    public var id: UInt64
    public var handle: String
    public var region: String
    public var followers: UInt64
    public var following: UInt64
    public var totalLikes: UInt64
}

/// One search result.
public struct SearchResult: Sendable, Hashable {
    /// video, user, creator, sound or hashtag.
    public var kind: String
    public var id: UInt64
    public var title: String
    public var score: Double
}

extension ReelEngine {
    /// The video's catalogue entry and counters, or nil when no upload has that id.
    public func video(_ id: UInt64) -> VideoDetails? {
        viewRunner.read { Self.details(id, in: $0.state) }
    }

    static func details(_ id: UInt64, in state: ViewState) -> VideoDetails? {
        guard let v = state.videos[id] else { return nil }
        return VideoDetails(
            id: id, status: v.videoStatus, creator: v.creator, caption: v.caption, hashtags: v.hashtags, sound: v.sound,
            durationMillis: v.durationMillis, renditions: v.renditions, source: v.source, publishedAt: v.publishedAt,
            counters: state.videoCounters[id] ?? .zero)
    }

    /// A registered, not erased user's public profile.
    public func user(_ id: UInt64) -> UserProfile? {
        viewRunner.read { store in
            guard let u = store.state.users[id], !u.erased else { return nil }
            let c = store.state.personCounters[id] ?? .zero
            return UserProfile(id: id, handle: u.handle, region: u.region, followers: c.followers, following: c.following, totalLikes: c.totalLikes)
        }
    }

    /// Creators `user` follows, in id order.
    public func following(_ user: UInt64) -> [UInt64] {
        viewRunner.read { $0.state.following[user]?.ids ?? [] }
    }

    /// Full-text search (BM25; every word matches as a prefix). `kind`: video, user, creator, sound, hashtag
    /// or nil for all.
    public func search(_ text: String, kind: String? = nil, offset: Int = 0, limit: Int = 20) throws(ReelError) -> [SearchResult] {
        guard (1...100).contains(limit), offset >= 0 else { throw .invalid("invalidPage", "limit must be 1...100 and offset at least 0") }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid("emptyQuery", "the search text is empty") }
        do {
            return try viewRunner.read { try $0.search(text, kind: kind, offset: offset, limit: limit) }
                .map { SearchResult(kind: $0.kind, id: $0.id, title: $0.title, score: $0.score) }
        } catch {
            throw ReelError.from(error)
        }
    }

    /// Published videos trending in a region (by the one-hour decayed score), most first; "" for global.
    public func trending(region: String = "", limit: Int = 20) -> [VideoDetails] {
        let t = now
        return viewRunner.read { store in
            store.trending(store.state.trendingVideos, region: ViewKey.region(region), at: t, limit: limit * 2)
                .compactMap { Self.details($0.id, in: store.state) }.filter { $0.status == .published }.prefix(limit).map { $0 }
        }
    }

    /// The newest published videos of these creators (the Following feed), newest first.
    public func recentVideos(by creators: Set<UInt64>, limit: Int = 20) -> [VideoDetails] {
        guard !creators.isEmpty else { return [] }
        return viewRunner.read { store in
            var found: [(UInt64, Timestamp)] = []
            store.state.videos.forEachUnordered { id, v in
                if creators.contains(v.creator), v.videoStatus == .published { found.append((id, v.publishedAt)) }
            }
            return found.sorted { ($0.1, $0.0) > ($1.1, $1.0) }.prefix(limit).compactMap { Self.details($0.0, in: store.state) }
        }
    }
}
