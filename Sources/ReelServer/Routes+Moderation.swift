import Foundation
import Hummingbird
import Reel

/// Trust and safety over HTTP: anyone signed in reports; moderators (the admin token) work the queue.
extension ReelAPI {
    struct NewReport: Decodable {
        var target: String
        var id: UInt64
        var reason: String
    }
    struct NewDecision: Decodable {
        var target: String?
        var action: String
        var reason: String
        var moderator: String?
    }
    struct EntryOut: Codable {
        var kind: String
        var position: UInt64
        var at: String
        var reporter: UInt64?
        var reason: String?
        var action: String?
        var moderator: String?
        var similarTo: UInt64?
    }
    struct CaseOut: ResponseCodable {
        var id: UInt64
        var target: String
        var videoId: UInt64?
        var subject: UInt64
        var status: String
        var openReports: Int
        var reasons: [String: Int]
        var firstOpenAt: String?
        var lastReportAt: String?
        var history: [EntryOut]?
    }
    struct QueueOut: ResponseCodable {
        var cases: [CaseOut]
        var open: Int
    }
    struct DecisionOut: Codable {
        var position: UInt64
        var at: String
        var target: String
        var id: UInt64
        var subject: UInt64
        var action: String
        var reason: String
        var moderator: String
    }
    struct DecisionsOut: ResponseCodable {
        var decisions: [DecisionOut]
        var nextCursor: String?
    }

    struct CommentFilterIO: ResponseCodable { var words: [String] }

    func addModerationRoutes(_ v1: RouterGroup<ReelRequestContext>) {
        // A creator's own comment filter: private to them (the words are theirs, sealed in the journal).
        v1.get("users/{id}/comment-filter") { request, context -> CommentFilterIO in
            let creator = try ownAccount(request, context)
            return CommentFilterIO(words: index.commentFilter(of: creator))
        }
        v1.put("users/{id}/comment-filter") { request, context -> CommentFilterIO in
            let creator = try ownAccount(request, context)
            try limit(engageLimiter, creator, "settings")
            let body = try await request.decode(as: CommentFilterIO.self, context: context)
            try await engine.setCommentFilter(creator: creator, words: body.words)
            _ = await index.waitUntilDelivered(engine.journalEnd, timeout: .seconds(5))
            return CommentFilterIO(words: index.commentFilter(of: creator))
        }
        // A creator hides a comment under their own video: a takedown in the moderation record, by them.
        v1.post("video/{id}/comments/{comment}/hide") { request, context -> Response in
            let caller = try user(request)
            try limit(engageLimiter, caller, "engagement")
            let video = try context.parameters.require("id", as: UInt64.self)
            let commentID = try context.parameters.require("comment", as: UInt64.self)
            guard let v = engine.video(video) else { throw APIError.notFound("no video \(video)") }
            guard v.creator == caller else {
                throw APIError(.forbidden, "notYourVideo", "only the video's creator may hide its comments")
            }
            guard let c = index.comment(commentID), c.video == video else {
                throw APIError.notFound("no comment \(commentID) under video \(video)")
            }
            try await engine.moderate(
                ReelEngine.ModerationSubject(target: .comment, id: commentID, video: video, subject: c.author),
                .takedown,
                reason: "hidden by the video's creator", moderator: "creator:\(caller)")
            _ = await index.waitUntilDelivered(engine.journalEnd, timeout: .seconds(5))
            return Response(status: .noContent)
        }
        v1.post("reports") { request, context -> Response in
            let reporter = try user(request)
            try limit(engageLimiter, reporter, "report")
            let body = try await request.decode(as: NewReport.self, context: context)
            let subject = try moderationSubject(body.target, body.id)
            try await engine.report(subject, by: reporter, reason: body.reason)
            return Response(status: .accepted)
        }
        let admin = v1.group("admin/moderation")
        admin.get("queue") { request, _ -> QueueOut in
            try requireAdmin(request)
            let limit = try boundedInt(request, "limit", 1...200, default: 50)
            return QueueOut(
                cases: moderation.queue(limit: limit).map { caseOut($0, history: false) }, open: moderation.queueLength)
        }
        admin.get("cases/{id}") { request, context -> CaseOut in
            try requireAdmin(request)
            let id = try context.parameters.require("id", as: UInt64.self)
            guard let c = moderation.moderationCase(id) else {
                throw APIError.notFound("no moderation case \(id) (nothing was reported or decided about it)")
            }
            return caseOut(c, history: true)
        }
        admin.post("cases/{id}/decision") { request, context -> CaseOut in
            try requireAdmin(request)
            let id = try context.parameters.require("id", as: UInt64.self)
            let body = try await request.decode(as: NewDecision.self, context: context)
            guard let action = ModerationAction(name: body.action) else {
                throw APIError.badRequest(
                    "invalidAction", "action is takedown, restore, dismiss or approve, not \(body.action.prefix(32))")
            }
            let known = moderation.moderationCase(id)
            let subject: ReelEngine.ModerationSubject
            if let known, body.target.map({ ModerationTarget(name: $0) == known.target }) ?? true {
                subject = ReelEngine.ModerationSubject(
                    target: known.target, id: id, video: known.video, subject: known.subject)
            } else if let target = body.target {
                // Acting before anyone reported (or naming the wrong kind, which the case refuses).
                subject = try moderationSubject(target, id)
            } else {
                throw APIError.badRequest(
                    "missingField", "target (video, comment or account) is required for a case nobody reported")
            }
            try await engine.moderate(subject, action, reason: body.reason, moderator: body.moderator ?? "admin")
            // The moderator then sees their decision, and its effect on log-in and comments, at once.
            let end = engine.journalEnd
            _ = await moderation.waitUntilDelivered(end, timeout: .seconds(5))
            _ = await index.waitUntilDelivered(end, timeout: .seconds(5))
            guard let c = moderation.moderationCase(id) else { throw APIError.notFound("no moderation case \(id)") }
            return caseOut(c, history: true)
        }
        admin.get("decisions") { request, _ -> DecisionsOut in
            try requireAdmin(request)
            let limit = try boundedInt(request, "limit", 1...200, default: 50)
            let before = try request.uri.queryParameters["cursor"].map { text -> UInt64 in
                guard let c = UInt64(String(text)) else {
                    throw APIError.badRequest("invalidCursor", "cursor is the next_cursor of the previous page")
                }
                return c
            }
            let (items, next) = moderation.decisions(limit: limit, before: before)
            return DecisionsOut(
                decisions: items.map {
                    DecisionOut(
                        position: $0.position, at: $0.at.description, target: "\($0.target)", id: $0.id,
                        subject: $0.subject,
                        action: "\($0.action)", reason: $0.reason, moderator: $0.moderator)
                }, nextCursor: next.map(String.init))
        }
    }

    /// The caller, when the path's `{id}` is their own account.
    func ownAccount(_ request: Request, _ context: ReelRequestContext) throws -> UInt64 {
        let caller = try user(request)
        guard try context.parameters.require("id", as: UInt64.self) == caller else {
            throw APIError(
                .forbidden, "notYourAccount", "only the account's owner may see or change its comment filter")
        }
        return caller
    }

    /// The platform's word list, then the video's creator's own filter (whose words are not told).
    func checkCommentFilters(_ text: String, on video: UInt64) throws {
        if let word = CommentFilter.firstMatch(in: text, words: platformCommentWords) {
            throw APIError(
                .unprocessableContent, "commentBlocked", "comments may not contain \"\(word)\" on this platform")
        }
        if let creator = engine.video(video)?.creator,
            CommentFilter.firstMatch(in: text, words: index.commentFilter(of: creator)) != nil
        {
            throw APIError(
                .unprocessableContent, "commentFiltered", "the video's creator filters comments like this one")
        }
    }

    /// A report's or decision's target as the engine needs it: comments come from the comments index.
    func moderationSubject(_ name: String, _ id: UInt64) throws -> ReelEngine.ModerationSubject {
        guard let target = ModerationTarget(name: name) else {
            throw APIError.badRequest("invalidTarget", "target is video, comment or account, not \(name.prefix(32))")
        }
        guard target == .comment else { return try engine.moderationSubject(target, id) }
        guard let c = index.comment(id) else { throw APIError.notFound("no comment \(id)") }
        return ReelEngine.ModerationSubject(target: .comment, id: id, video: c.video, subject: c.author)
    }

    func caseOut(_ c: ModerationQueue.Case, history: Bool) -> CaseOut {
        CaseOut(
            id: c.id, target: "\(c.target)", videoId: c.video == 0 ? nil : c.video, subject: c.subject,
            status: "\(c.status)",
            openReports: c.openReports, reasons: c.reasons,
            firstOpenAt: c.status.needsReview ? c.firstOpenAt.description : nil,
            lastReportAt: c.lastReportAt == .zero ? nil : c.lastReportAt.description,
            history: history
                ? c.history.map { e in
                    EntryOut(
                        kind: e.kind.rawValue, position: e.position, at: e.at.description,
                        reporter: e.kind == .reported ? e.reporter : nil,
                        reason: e.reason.isEmpty ? nil : e.reason, action: e.action.map { "\($0)" },
                        moderator: e.moderator.isEmpty ? nil : e.moderator,
                        similarTo: e.similarTo == 0 ? nil : e.similarTo)
                } : nil)
    }
}
