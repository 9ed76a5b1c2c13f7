import ReelDomain
import ReelJournal

/// Every view's tables, folded by one ordered pipeline: each event is applied to every view in a fixed order
/// (catalogue, counters, interest, seen, trending, social graph, search) before the next event, so views that
/// read another view (interest reads the catalogue) see it exactly as a rebuild would.
public final class ViewState {
    // Catalogue: what other entities consult.
    public let videos = KeyedTable<CatalogueVideo>("catalogue.video")
    public let users = KeyedTable<CatalogueUser>("catalogue.user")
    public let creators = KeyedTable<CatalogueCreator>("catalogue.creator")
    public let hashtagNames = KeyedTable<Label>("catalogue.hashtag")
    public let sessions = KeyedTable<SessionInfo>("catalogue.session")
    // Counters.
    public let videoCounters = KeyedTable<VideoCounters>("counters.video")
    public let personCounters = KeyedTable<PersonCounters>("counters.person")
    /// Each person's standing comments, so an erasure can take them out of the counts.
    public let authoredComments = KeyedTable<AuthoredComments>("counters.authoredComments")
    // Interest.
    public let longTermInterest: KeyedTable<InterestProfile>
    public let sessionInterest: KeyedTable<InterestProfile>
    // Seen.
    public let seen = KeyedTable<SeenVideos>("seen")
    // Trending, keyed by `ViewKey.regional(region, id)`.
    public let trendingVideos: KeyedTable<DecayedScore>
    public let trendingHashtags: KeyedTable<DecayedScore>
    public let trendingSounds: KeyedTable<DecayedScore>
    // Social graph.
    public let followers = KeyedTable<IDList>("social.followers")
    public let following = KeyedTable<IDList>("social.following")
    public let blocked = KeyedTable<IDList>("social.blocked")
    /// The videos each viewer likes now, and has saved: a like or save counts once, whatever the session.
    public let likes = KeyedTable<IDList>("social.likes")
    public let saves = KeyedTable<IDList>("social.saves")
    /// Search (nil in per-key time travel, which never asks it).
    let search: SearchIndex?
    /// Rows holding an erased person's data, by table index: once the checkpoint after the erasure has written
    /// their new state, the store deletes their older history (`ViewStore.purgeErasedHistory`).
    var erasedRows: [Int: Set<UInt64>] = [:]
    /// Called for catalogue changes, so the lock-free lookup that actors read stays current.
    var onCatalogueChange: ((ReelEvent) -> Void)?
    /// What interest and trending read of a video, with its hashtags already hashed: derived from `videos` on
    /// first use and dropped when the catalogue changes the video; never persisted or serialised. Hashing each
    /// hashtag and copying the whole catalogue row (caption, renditions) for every engagement was a tenth of
    /// the fold.
    private var featureKeys: [UInt64: VideoFeatureKeys] = [:]

    /// Half-lives of the interest profiles.
    public static let longTermHalfLifeMillis: Double = 14 * 86_400_000
    public static let sessionHalfLifeMillis: Double = 3_600_000

    /// True for the second lane of a parallel fold (`ViewStore.apply`): its catalogue holds only the videos
    /// and sessions, with only what interest and trending read.
    let isLane: Bool

    init(search: SearchIndex?) {
        self.search = search
        isLane = false
        longTermInterest = KeyedTable("interest.longTerm")
        sessionInterest = KeyedTable("interest.session")
        trendingVideos = KeyedTable("trending.video")
        trendingHashtags = KeyedTable("trending.hashtag")
        trendingSounds = KeyedTable("trending.sound")
    }

    /// The second lane of a parallel fold: it shares `main`'s interest and trending tables (it folds the
    /// views in `Views.secondLane`: session interest and trending; while folding, only this lane touches those) and keeps
    /// its own copy of the videos and sessions they read, so neither lane reads what the other writes.
    init(laneOf main: ViewState) {
        search = nil
        isLane = true
        longTermInterest = main.longTermInterest
        sessionInterest = main.sessionInterest
        trendingVideos = main.trendingVideos
        trendingHashtags = main.trendingHashtags
        trendingSounds = main.trendingSounds
        videos.tracksDirty = false
        sessions.tracksDirty = false
    }

    /// A video's creator, sound and hashed hashtags (nil: not in the catalogue).
    func features(of video: UInt64) -> VideoFeatureKeys? {
        if let known = featureKeys[video] { return known }
        guard let v = videos[video] else { return nil }
        let keys = VideoFeatureKeys(creator: v.creator, sound: v.sound, hashtags: v.hashtags.map(ViewKey.hashtag))
        featureKeys[video] = keys
        return keys
    }

    /// The catalogue changed the video: its keys are derived again on next use.
    func forgetFeatures(of video: UInt64) { featureKeys[video] = nil }

    /// Every table, in the fixed order of persistence and canonical serialisation.
    var tables: [any AnyKeyedTable] {
        [
            videos, users, creators, hashtagNames, sessions, videoCounters, personCounters, longTermInterest,
            sessionInterest,
            seen, trendingVideos, trendingHashtags, trendingSounds, followers, following, blocked, authoredComments,
            likes, saves,
        ]
    }

    func table(named name: String) -> (any AnyKeyedTable)? { tables.first { $0.name == name } }

    /// Applies one event to every view, in order.
    func apply(_ event: ReelEvent) {
        applyCatalogue(event)
        applyCounters(event)
        applyInterest(event)
        applySeen(event)
        applyTrending(event)
        applySocial(event)
        search?.apply(event, state: self)
    }

    /// The views a fold applies (per-key time travel folds only those the asked table depends on).
    struct Views: OptionSet {
        let rawValue: Int
        static let catalogue = Views(rawValue: 1)
        static let counters = Views(rawValue: 2)
        static let longTermInterest = Views(rawValue: 4)
        static let seen = Views(rawValue: 8)
        static let trending = Views(rawValue: 16)
        static let social = Views(rawValue: 32)
        static let sessionInterest = Views(rawValue: 64)
        static let interest: Views = [.longTermInterest, .sessionInterest]
        static let all: Views = [.catalogue, .counters, .interest, .seen, .trending, .social]
        /// The two lanes of a parallel fold; each has its own catalogue. Session interest folds beside trending:
        /// with both profiles on the first lane, it was busy all the time and the second half of it (decision 0019).
        static let mainLane: Views = [.catalogue, .counters, .longTermInterest, .seen, .social]
        static let secondLane: Views = [.catalogue, .sessionInterest, .trending]

        /// The views that change `table` and the ones its fold reads: video counters read who has seen and
        /// liked the video, person counters the follow graph, likes and (on erasure) the catalogue, interest
        /// and trending read the catalogue.
        static func needed(for table: String) -> Views {
            switch table {
            case "counters.video": [.counters, .seen, .social]
            case "counters.person": [.catalogue, .counters, .social]
            case "counters.authoredComments": [.counters]
            case "interest.longTerm": [.catalogue, .longTermInterest]
            case "interest.session": [.catalogue, .sessionInterest]
            case "seen": [.seen]
            case "trending.video", "trending.hashtag", "trending.sound": [.catalogue, .trending]
            case "social.followers", "social.following", "social.blocked", "social.likes", "social.saves": [.social]
            case _ where table.hasPrefix("catalogue."): [.catalogue]
            default: .all
            }
        }
    }

    /// Makes a lane's catalogue match `main`'s (after loading a checkpoint).
    func copyCatalogue(from main: ViewState) {
        precondition(isLane)
        featureKeys.removeAll()
        for key in main.videos.sortedKeys {
            let v = main.videos[key]!
            videos.set(key, CatalogueVideo(creator: v.creator, sound: v.sound, hashtags: v.hashtags))
        }
        for key in main.sessions.sortedKeys { sessions.set(key, main.sessions[key]!) }
    }

    /// Applies one event to the chosen views, in the same order as `apply(_:)`.
    func apply(_ event: ReelEvent, only views: Views) {
        if views.contains(.catalogue) { applyCatalogue(event) }
        if views.contains(.counters) { applyCounters(event) }
        if !views.isDisjoint(with: .interest) {
            applyInterest(event, longTerm: views.contains(.longTermInterest), session: views.contains(.sessionInterest))
        }
        if views.contains(.seen) { applySeen(event) }
        if views.contains(.trending) { applyTrending(event) }
        if views.contains(.social) { applySocial(event) }
    }

    /// The ids an event is about, for time travel's relevance filter.
    static func subjects(_ event: ReelEvent) -> (person: UInt64?, video: UInt64?, creator: UInt64?, session: UInt64?) {
        switch event {
        case .userRegistered(let e, _): (e.user, nil, e.user, nil)
        case .userProfileChanged(let e, _): (e.user, nil, e.user, nil)
        case .userErased(let e): (e.user, nil, e.user, nil)
        case .followed(let e): (e.user, nil, e.creator, e.session)
        case .unfollowed(let e): (e.user, nil, e.creator, e.session)
        case .blocked(let e): (e.user, nil, e.creator, e.session)
        case .sessionStarted(let e): (e.viewer, nil, nil, e.session)
        case .sessionEnded(let e): (e.viewer, nil, nil, e.session)
        case .feedServed(let e): (e.viewer, nil, nil, e.session)
        case .watched(let e): (e.viewer, e.video, nil, e.session)
        case .skipped(let e): (e.viewer, e.video, nil, e.session)
        case .liked(let e): (e.viewer, e.video, e.creator, e.session)
        case .unliked(let e): (e.viewer, e.video, e.creator, e.session)
        case .shared(let e): (e.viewer, e.video, e.creator, e.session)
        case .saved(let e): (e.viewer, e.video, e.creator, e.session)
        case .commented(let e): (e.viewer, e.video, nil, e.session)
        case .commentDeleted(let e): (e.viewer, e.video, nil, e.session)
        case .notInterested(let e): (e.viewer, e.video, e.creator, e.session)
        case .uploadStarted(let e): (nil, e.video, e.creator, nil)
        case .uploadCompleted(let e): (nil, e.video, e.creator, nil)
        case .processingSucceeded(let e): (nil, e.video, nil, nil)
        case .processingFailed(let e): (nil, e.video, nil, nil)
        case .published(let e): (nil, e.video, nil, nil)
        case .rejected(let e): (nil, e.video, nil, nil)
        case .removed(let e): (nil, e.video, nil, nil)
        case .creatorProfileUpdated(let e): (e.creator, nil, e.creator, nil)
        case .reported, .held, .commentFilterSet: (nil, nil, nil, nil)
        // A comment's takedown changes its author's comments and its video's count.
        case .moderationDecided(let e): e.target == .comment ? (e.subject, e.video, nil, nil) : (nil, nil, nil, nil)
        case .restored(let e): (nil, e.video, nil, nil)
        }
    }

    /// Events every per-key replay applies whatever the key: they set up what other views read.
    static func isStructural(_ event: ReelEvent) -> Bool {
        switch event {
        case .sessionStarted, .sessionEnded, .uploadStarted, .uploadCompleted, .processingSucceeded, .processingFailed,
            .published, .rejected, .removed, .restored, .userRegistered, .userProfileChanged, .userErased, .creatorProfileUpdated:
            true
        default: false
        }
    }
}

/// What interest and trending read of a video (`ViewState.features(of:)`).
struct VideoFeatureKeys {
    var creator: UInt64
    var sound: UInt64
    /// `ViewKey.hashtag` of each hashtag, in the video's order.
    var hashtags: [UInt64]
}
