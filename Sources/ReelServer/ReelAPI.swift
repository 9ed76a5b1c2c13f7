import Foundation
import Hummingbird
import Logging
import Reel
import ReelMedia
import Synchronization

/// Requests decode snake_case JSON and responses encode it; bodies above 1 MiB are refused (chunk uploads
/// read their own, larger limit).
public struct ReelRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, which per-client limits are keyed by ("unknown" when the channel has none).
    /// Behind a proxy every client shares the proxy's address: limits are then the proxy's to enforce.
    public let clientAddress: String
    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
    public var maxUploadSize: Int { 1 << 20 }
    public var requestDecoder: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
    public var responseEncoder: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

/// Everything the HTTP API needs, built once per server: the engine, the media service, accounts, the
/// server's index, rate limits and media delivery.
public struct ReelAPI: Sendable {
    public let engine: ReelEngine
    public let media: MediaService
    public let accounts: AccountStore
    public let index: ServerIndex
    public let moderation: ModerationQueue
    public let files: MediaFiles
    public let adminToken: String
    let engageLimiter: RateLimiter
    let uploadLimiter: RateLimiter
    /// Log-in attempts per handle: each costs a slow hash, and guessing must stay slow.
    let loginLimiter = RateLimiter(ratePerSecond: 0.2, burst: 10)
    /// Sign-ups per client address (`server.signUpsPerMinute`, that many at once).
    let signUpLimiter: RateLimiter
    /// `server.blockedCommentWords`, split.
    let platformCommentWords: [String]

    public init(
        engine: ReelEngine, media: MediaService, accounts: AccountStore, index: ServerIndex, moderation: ModerationQueue, adminToken: String
    ) {
        self.engine = engine
        self.media = media
        self.accounts = accounts
        self.index = index
        self.moderation = moderation
        self.adminToken = adminToken
        files = MediaFiles(engine: engine, blobs: media.blobs)
        let s = engine.configuration.server
        engageLimiter = RateLimiter(
            ratePerSecond: Double(s.engageRatePerSecond), burst: Double(s.engageRatePerSecond * 2))
        uploadLimiter = RateLimiter(
            ratePerSecond: Double(s.uploadChunksPerSecond), burst: Double(s.uploadChunksPerSecond * 2))
        signUpLimiter = RateLimiter(ratePerSecond: Double(s.signUpsPerMinute) / 60, burst: Double(s.signUpsPerMinute))
        platformCommentWords = s.blockedCommentWords.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The signed-in user, from `Authorization: Bearer <token>`; a suspended account may do nothing but log out.
    func user(_ request: Request) throws -> UInt64 {
        let user = try session(request).user
        guard !index.isSuspended(user) else { throw APIError.suspended }
        return user
    }

    func session(_ request: Request) throws -> (user: UInt64, id: String, expiresAt: Int64) {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let auth = accounts.authenticate(String(header.dropFirst(7)))
        else { throw APIError.unauthorized }
        return auth
    }

    /// An integer query parameter within its documented range, or its default when absent; anything else is
    /// a 400 that says the range (values were clamped before, so a client never learned it asked for too much).
    func boundedInt(_ request: Request, _ name: String, _ range: ClosedRange<Int>, default value: Int) throws -> Int {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init) else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw APIError.badRequest("invalid\(name.prefix(1).uppercased())\(name.dropFirst())", "\(name) must be an integer in \(range.lowerBound)…\(range.upperBound), not \(text.prefix(32))")
        }
        return n
    }

    /// No bearer token at all is 401 (authenticate, then retry); a token that is not the admin's is 403.
    func requireAdmin(_ request: Request) throws {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(
                .unauthorized, "adminOnly",
                "audits need the admin token as `Authorization: Bearer <token>` (see the server's start-up log or <data-dir>/admin.token)")
        }
        guard constantTimeEquals(Data(header.dropFirst(7).utf8), Data(adminToken.utf8)) else {
            throw APIError(
                .forbidden, "adminOnly",
                "audits need the admin token (see the server's start-up log or <data-dir>/admin.token)")
        }
    }

    func limit(_ limiter: RateLimiter, _ user: UInt64, _ what: String) throws {
        guard limiter.allow("\(user)") else {
            var e = APIError(.tooManyRequests, "rateLimited", "too many \(what) requests; slow down")
            e.headers[.retryAfter] = "1"
            throw e
        }
    }

    /// A viewing session the signed-in user owns.
    func ownedSession(_ id: UInt64?, _ user: UInt64) throws -> UInt64 {
        guard let id, id != 0 else {
            throw APIError.badRequest("missingSession", "session_id is required (POST /api/v1/feed/sessions)")
        }
        guard let owner = index.owner(of: id) else { throw APIError.notFound("no session \(id)") }
        guard owner == user else {
            throw APIError(.forbidden, "notYourSession", "session \(id) belongs to another user")
        }
        return id
    }
}

// MARK: Bodies and answers

struct UserOut: ResponseCodable {
    var id: UInt64
    var handle: String
    var region: String
    var followers: UInt64
    var following: UInt64
    var totalLikes: UInt64
    init(_ p: UserProfile) {
        id = p.id
        handle = p.handle
        region = p.region
        followers = p.followers
        following = p.following
        totalLikes = p.totalLikes
    }
}

struct CountersOut: Codable {
    var plays: UInt64
    var likes: UInt64
    var shares: UInt64
    var saves: UInt64
    var comments: UInt64
    init(_ c: VideoCounters) {
        plays = c.plays
        likes = c.likes
        shares = c.shares
        saves = c.saves
        comments = c.comments
    }
}

/// A video as feeds, search and trending show it, with where to play it from.
struct VideoOut: ResponseCodable {
    var videoId: UInt64
    var status: String
    var reason: String?
    var creatorId: UInt64
    var creatorHandle: String
    var caption: String
    var hashtags: [String]
    var sound: UInt64
    var durationMs: UInt64
    var source: UInt64
    var counters: CountersOut
    var hlsUrl: String?
    var mp4Url: String?
    var thumbnailUrl: String?
    /// Feed items only: which candidate source chose it, its score, and whether to fetch its first segment now.
    var feedSource: String?
    var score: Float?
    var prefetch: Bool?
    var prefetchUrl: String?
    /// Feed items only: whether the signed-in viewer follows the creator (the follow button's state).
    var creatorFollowed: Bool?

    init(_ v: VideoDetails, engine: ReelEngine, reason: String? = nil) {
        videoId = v.id
        status = "\(v.status)"
        self.reason = reason
        creatorId = v.creator
        creatorHandle = engine.user(v.creator)?.handle ?? ""
        caption = v.caption
        hashtags = v.hashtags
        sound = v.sound
        durationMs = v.durationMillis
        source = v.source
        counters = CountersOut(v.counters)
        if !v.renditions.isEmpty {
            hlsUrl = "/media/\(v.id)/\(TranscodePlan.masterPlaylist)"
            mp4Url = "/media/\(v.id)/\(TranscodePlan.fallbackFile)"
            thumbnailUrl = "/media/\(v.id)/thumb_1.jpg"  // the only one a very short clip is sure to have
        }
    }
}

struct ItemsOut: ResponseCodable {
    var items: [VideoOut]
}

extension HTTPFields {
    /// Headers are matched case-insensitively; `HTTPField.Name` comes from HTTPTypes through Hummingbird.
    subscript(_ name: String) -> String? { self.first { $0.name.canonicalName == name.lowercased() }?.value }
}
