import Foundation
import Hummingbird
import Reel

extension ReelAPI {
    struct Engage: Decodable {
        var sessionId: UInt64
        var watchTimeMs: UInt64?
        var completed: Bool?
        /// Plays started, the first included (the engine counts the replays after it).
        var loops: UInt32?
        var skipped: Bool?
    }
    struct SessionOnly: Decodable { var sessionId: UInt64 }
    struct Share: Decodable {
        var sessionId: UInt64
        var channel: String?
    }
    struct NewComment: Decodable {
        var sessionId: UInt64
        var text: String
    }
    struct CommentOut: ResponseCodable {
        var commentId: UInt64
        var author: UInt64?
        var text: String?
        var postedAt: String?
    }
    struct CommentsOut: ResponseCodable {
        var comments: [CommentOut]
        var nextCursor: String?
    }

    func addEngagementRoutes(_ v1: RouterGroup<ReelRequestContext>) {
        /// One watch (or a skip) of a video, sent when the viewer swipes away.
        v1.post("video/{id}/engage") { request, context -> Response in
            let (viewer, video, body) = try await engagementRequest(Engage.self, request, context)
            let session = try ownedSession(body.sessionId, viewer)
            if body.skipped == true && body.completed != true {
                try await engine.engage(session: session, .skip(video: video, watchedMillis: body.watchTimeMs ?? 0))
            } else {
                guard let watch = body.watchTimeMs else { throw APIError.badRequest("missingField", "watch_time_ms is required unless skipped is true") }
                try await engine.engage(session: session, .watch(video: video, watchMillis: watch, loops: UInt64(max(1, body.loops ?? 1) - 1), completed: body.completed ?? false))
            }
            return Response(status: .noContent)
        }
        v1.post("video/{id}/like") { request, context -> Response in
            let (viewer, video, body) = try await engagementRequest(SessionOnly.self, request, context)
            try await engine.engage(session: try ownedSession(body.sessionId, viewer), .like(video: video))
            return Response(status: .noContent)
        }
        v1.delete("video/{id}/like") { request, context -> Response in
            let viewer = try user(request)
            try limit(engageLimiter, viewer, "engagement")
            let video = try context.parameters.require("id", as: UInt64.self)
            let session = try ownedSession(request.uri.queryParameters["session_id"].flatMap { UInt64(String($0)) }, viewer)
            try await engine.engage(session: session, .unlike(video: video))
            return Response(status: .noContent)
        }
        v1.post("video/{id}/share") { request, context -> Response in
            let (viewer, video, body) = try await engagementRequest(Share.self, request, context)
            try await engine.engage(session: try ownedSession(body.sessionId, viewer), .share(video: video, channel: body.channel ?? "link"))
            return Response(status: .noContent)
        }
        v1.post("video/{id}/save") { request, context -> Response in
            let (viewer, video, body) = try await engagementRequest(SessionOnly.self, request, context)
            try await engine.engage(session: try ownedSession(body.sessionId, viewer), .save(video: video))
            return Response(status: .noContent)
        }
        v1.post("video/{id}/not-interested") { request, context -> Response in
            let (viewer, video, body) = try await engagementRequest(SessionOnly.self, request, context)
            try await engine.engage(session: try ownedSession(body.sessionId, viewer), .notInterested(video: video))
            return Response(status: .noContent)
        }
        v1.get("video/{id}/comments") { request, context -> CommentsOut in
            let video = try context.parameters.require("id", as: UInt64.self)
            // The query is checked before the video: a malformed request is a 400 whatever it names.
            let cursor = try request.uri.queryParameters["cursor"].map { c -> UInt64 in
                guard let v = UInt64(String(c)) else { throw APIError.badRequest("invalidCursor", "cursor \(c) was not issued by this API") }
                return v
            }
            let limit = try boundedInt(request, "limit", 1...100, default: 20)
            guard engine.video(video) != nil else { throw APIError.notFound("no video \(video)") }
            let page = index.comments(on: video, after: cursor, limit: limit)
            return CommentsOut(
                comments: page.items.map { CommentOut(commentId: $0.id, author: $0.author, text: $0.text, postedAt: $0.postedAt.description) },
                nextCursor: page.next.map(String.init))
        }
        v1.post("video/{id}/comments") { request, context -> EditedResponse<CommentOut> in
            let (viewer, video, body) = try await engagementRequest(NewComment.self, request, context)
            let session = try ownedSession(body.sessionId, viewer)
            try checkCommentFilters(body.text, on: video)
            let id = try await engine.comment(session: session, video: video, text: body.text)
            return EditedResponse(status: .created, response: CommentOut(commentId: id))
        }
        v1.delete("video/{id}/comments/{comment}") { request, context -> Response in
            let viewer = try user(request)
            try limit(engageLimiter, viewer, "engagement")
            let video = try context.parameters.require("id", as: UInt64.self)
            let comment = try context.parameters.require("comment", as: UInt64.self)
            let session = try ownedSession(request.uri.queryParameters["session_id"].flatMap { UInt64(String($0)) }, viewer)
            try await engine.engage(session: session, .deleteComment(video: video, comment: comment))
            return Response(status: .noContent)
        }
    }

    /// The signed-in viewer (rate-limited), the video in the path and the decoded body.
    func engagementRequest<B: Decodable>(_: B.Type, _ request: Request, _ context: ReelRequestContext) async throws -> (UInt64, UInt64, B) {
        let viewer = try user(request)
        try limit(engageLimiter, viewer, "engagement")
        let video = try context.parameters.require("id", as: UInt64.self)
        return (viewer, video, try await request.decode(as: B.self, context: context))
    }
}
