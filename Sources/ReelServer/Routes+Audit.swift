import Foundation
import Hummingbird
import Reel

extension ReelAPI {
    struct TimelineOut: ResponseCodable {
        var first: String?
        var last: String
    }
    struct WeightOut: Codable {
        var kind: String
        var key: String
        var weight: Float
    }
    struct InterestOut: ResponseCodable {
        var at: String
        var longTerm: [WeightOut]
        var session: [WeightOut]
        var sessionId: UInt64?
    }
    struct ServedItemOut: Codable {
        var position: Int
        var videoId: UInt64
        var source: String
        var score: Float
        var features: [String: Float]
    }
    struct ServedFeedOut: Codable {
        var sessionId: UInt64
        var servedAt: String
        var modelVersion: UInt64
        /// A string: 64 bits do not survive a JavaScript number.
        var seed: String
        var viewsPosition: UInt64
        var build: String
        var items: [ServedItemOut]
        /// With `verify=true`: the page chosen again by replaying to its recorded positions.
        var verification: VerificationOut?
    }
    struct VerificationOut: Codable {
        /// The same videos in the same order from the same sources.
        var matches: Bool
        var recomputed: [UInt64]
    }
    struct FeedsOut: ResponseCodable { var feeds: [ServedFeedOut] }

    func moment(_ request: Request) throws -> (Moment, Timestamp?) {
        guard let text = request.uri.queryParameters["at"].map(String.init), !text.isEmpty else { return (.now, nil) }
        if let t = Timestamp(parsing: text) { return (.time(t), t) }
        throw APIError.badRequest(
            "invalidTime", "at must be an ISO-8601 time or Unix seconds between years 1 and 9999, not \(text.prefix(64))")
    }

    func served(_ f: FeedServed) -> ServedFeedOut {
        ServedFeedOut(
            sessionId: f.session, servedAt: f.occurredAt.description, modelVersion: f.modelVersion,
            seed: String(f.seed), viewsPosition: f.viewsPosition, build: f.build,
            items: f.items.enumerated().map { i, item in
                ServedItemOut(
                    position: i, videoId: item.video, source: item.source, score: item.score,
                    features: Dictionary(item.features.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))
            })
    }

    func addAuditRoutes(_ v1: RouterGroup<ReelRequestContext>) {
        let audit = v1.group("audit")
        audit.get("users/{id}/timeline") { request, context -> TimelineOut in
            try requireAdmin(request)
            let user = try context.parameters.require("id", as: UInt64.self)
            let first = try engine.events(of: .user, user).first?.recordedAt
            return TimelineOut(
                first: first?.description, last: Timestamp(seconds: Date().timeIntervalSince1970).description)
        }
        audit.get("users/{id}/interest") { request, context -> InterestOut in
            try requireAdmin(request)
            let user = try context.parameters.require("id", as: UInt64.self)
            let (m, t) = try moment(request)
            let longTerm = try engine.interest("interest.longTerm", key: user, at: m)
            let latest = index.sessions(of: user, at: t).first?.session
            // Session interest is kept per viewer (reset when a session starts), so it is the latest session's.
            let session = latest == nil ? [] : try engine.interest("interest.session", key: user, at: m)
            let out = { (w: InterestWeight) in WeightOut(kind: w.kind, key: w.key, weight: w.weight) }
            return InterestOut(
                at: (t ?? Timestamp(seconds: Date().timeIntervalSince1970)).description,
                longTerm: longTerm.prefix(30).map(out), session: session.prefix(30).map(out), sessionId: latest)
        }
        audit.get("users/{id}/feeds") { request, context -> FeedsOut in
            try requireAdmin(request)
            let user = try context.parameters.require("id", as: UInt64.self)
            let (_, t) = try moment(request)
            let limit = try boundedInt(request, "limit", 1...200, default: 20)
            var feeds: [FeedServed] = []
            for s in index.sessions(of: user, at: t) where feeds.count < limit {
                feeds += try engine.servedFeeds(session: s.session).filter { t == nil || $0.occurredAt <= t! }
                    .reversed()
            }
            return FeedsOut(feeds: feeds.sorted { $0.occurredAt > $1.occurredAt }.prefix(limit).map(served))
        }
        audit.get("why") { request, _ -> FeedsOut in
            try requireAdmin(request)
            let q = request.uri.queryParameters
            guard let user = q["user"].flatMap({ UInt64(String($0)) }),
                let video = q["video"].flatMap({ UInt64(String($0)) })
            else {
                throw APIError.badRequest("missingField", "user and video are required")
            }
            let (m, t) = try moment(request)
            var feeds: [ServedFeedOut] = []
            if q["verify"].map(String.init) == "true" {
                // Each page chosen again from the journal alone (views and model replayed to what it recorded).
                for shown in try engine.whyShown(user: user, video: video, at: m) {
                    var f = served(shown.feed)
                    f.items = f.items.filter { $0.videoId == video }
                    let v = try engine.verify(shown)
                    f.verification = VerificationOut(matches: v.matches, recomputed: v.recomputed.map(\.video))
                    feeds.append(f)
                }
                return FeedsOut(feeds: feeds.sorted { $0.servedAt > $1.servedAt })
            }
            for s in index.sessions(of: user, at: t) {
                for (feed, item) in try engine.whyShown(video: video, session: s.session)
                where t == nil || feed.occurredAt <= t! {
                    var f = served(feed)
                    f.items = f.items.filter { $0.videoId == item.video }
                    feeds.append(f)
                }
            }
            return FeedsOut(feeds: feeds.sorted { $0.servedAt > $1.servedAt })
        }
        audit.get("entities/{kind}/{id}") { request, context -> Response in
            try requireAdmin(request)
            let kindName = try context.parameters.require("kind")
            guard let kind = EntityKind(rawValue: kindName) else {
                throw APIError.badRequest(
                    "invalidKind", "kind must be user, session, video, creator or moderation, not \(kindName)")
            }
            let (m, _) = try moment(request)
            let a = try engine.audit(kind, try context.parameters.require("id", as: UInt64.self), at: m)
            // The state as JSON inside the answer (not JSON text in a string), with its own field names.
            let body = "{\"position\":\(a.position),\"state\":\(a.state.rendered),\"version\":\(a.version)}"
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }
}
