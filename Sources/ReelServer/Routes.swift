import Foundation
import Hummingbird
import Reel
import ReelMedia

extension ReelAPI {
    /// Every route of API v1, media delivery, health and the web client.
    public func addRoutes(to router: Router<ReelRequestContext>) {
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: IdempotencyMiddleware(api: self))
        let v1 = router.group("api/v1")
        addAccountRoutes(v1)
        addFeedRoutes(v1)
        addEngagementRoutes(v1)
        addUploadRoutes(v1)
        addDiscoveryRoutes(v1)
        addModerationRoutes(v1)
        addAuditRoutes(v1)
        router.head("media/{video}/**") { request, context -> Response in
            let r = try files.response(
                video: try context.parameters.require("video", as: UInt64.self),
                path: context.parameters.getCatchAll().joined(separator: "/"), request: request)
            return Response(status: r.status, headers: r.headers)
        }
        router.get("media/{video}/**") { request, context -> Response in
            try files.response(
                video: try context.parameters.require("video", as: UInt64.self),
                path: context.parameters.getCatchAll().joined(separator: "/"), request: request)
        }
        router.get("health") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let s = engine.status
            let body =
                "{\"ready\":\(s.ready),\"journal_position\":\(s.journalPosition),\"views_lag\":\(s.viewsLag),\"media_queue\":\(media.queueDepth)}"
            return Response(
                status: s.ready ? .ok : .serviceUnavailable, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        WebClient.addRoutes(to: router)
    }

    // MARK: Accounts

    struct Register: Decodable {
        var handle: String
        var email: String
        var displayName: String
        var password: String
        var region: String?
    }
    struct Login: Decodable {
        var handle: String
        var password: String
    }
    struct TokenOut: ResponseCodable {
        var token: String
        var userId: UInt64
        var expiresAt: String
    }

    func addAccountRoutes(_ v1: RouterGroup<ReelRequestContext>) {
        v1.post("users") { request, context -> EditedResponse<UserOut> in
            let body = try await request.decode(as: Register.self, context: context)
            guard body.password.count >= AccountStore.minimumPasswordLength else {
                throw APIError.badRequest(
                    "weakPassword", "a password needs at least \(AccountStore.minimumPasswordLength) characters")
            }
            guard body.email.contains("@") else {
                throw APIError.badRequest("invalidEmail", "\"\(body.email)\" is not an email address")
            }
            guard signUpLimiter.allow(context.clientAddress) else {
                var e = APIError(.tooManyRequests, "rateLimited", "too many sign-ups from \(context.clientAddress); wait a minute")
                e.headers[.retryAfter] = "60"
                throw e
            }
            let id = try await SignUp.register(
                engine: engine, accounts: accounts, handle: body.handle, region: body.region ?? "US", email: body.email,
                displayName: body.displayName, password: body.password)
            guard let profile = engine.user(id) else {
                throw APIError(.internalServerError, "internal", "user \(id) vanished")
            }
            return EditedResponse(status: .created, response: UserOut(profile))
        }
        v1.post("sessions") { request, context -> TokenOut in
            let body = try await request.decode(as: Login.self, context: context)
            // Per handle and address: guessing one account's password stays slow, and nobody elsewhere can
            // lock its owner out (a limit per handle alone let anyone do that).
            guard loginLimiter.allow("\(body.handle.lowercased()) \(context.clientAddress)") else {
                var e = APIError(
                    .tooManyRequests, "rateLimited", "too many log-in attempts for \(body.handle); wait a few seconds")
                e.headers[.retryAfter] = "5"
                throw e
            }
            let verified: UInt64?
            do {
                verified = try await accounts.verify(handle: body.handle, password: body.password)
            } catch is PasswordHasher.Busy {
                var e = APIError(.tooManyRequests, "rateLimited", "too many sign-ups and log-ins are being checked; try again in a few seconds")
                e.headers[.retryAfter] = "5"
                throw e
            }
            guard let user = verified, engine.user(user) != nil else {
                throw APIError(.unauthorized, "badCredentials", "wrong handle or password")
            }
            guard !index.isSuspended(user) else { throw APIError.suspended }
            let token = try accounts.issueToken(user: user)
            return TokenOut(
                token: token.value, userId: user, expiresAt: Timestamp(seconds: Double(token.expiresAt)).description)
        }
        v1.delete("sessions") { request, _ -> Response in
            let s = try session(request)
            try accounts.revoke(tokenID: s.id, expiresAt: s.expiresAt)
            return Response(status: .noContent)
        }
        v1.get("users/{id}") { _, context -> UserOut in
            let id = try context.parameters.require("id", as: UInt64.self)
            guard let p = engine.user(id) else { throw APIError.notFound("no user \(id)") }
            return UserOut(p)
        }
        v1.delete("users/{id}") { request, context -> Response in
            let id = try context.parameters.require("id", as: UInt64.self)
            let isAdmin = (try? requireAdmin(request)) != nil
            if !isAdmin {
                guard try user(request) == id else {
                    throw APIError(.forbidden, "notYourAccount", "you can erase only your own account")
                }
            }
            try await engine.eraseUser(id)
            try accounts.deleteAccount(user: id)
            return Response(status: .noContent)
        }
        v1.post("users/{id}/follow") { request, context -> Response in
            try await engine.follow(
                user: try user(request), creator: try context.parameters.require("id", as: UInt64.self))
            return Response(status: .noContent)
        }
        v1.delete("users/{id}/follow") { request, context -> Response in
            try await engine.unfollow(
                user: try user(request), creator: try context.parameters.require("id", as: UInt64.self))
            return Response(status: .noContent)
        }
        v1.post("users/{id}/block") { request, context -> Response in
            try await engine.block(
                user: try user(request), creator: try context.parameters.require("id", as: UInt64.self))
            return Response(status: .noContent)
        }
    }

    // MARK: Feed

    struct NewSession: Decodable {
        var region: String?
        var language: String?
        var device: String?
        var network: String?
    }
    struct SessionOut: ResponseCodable { var sessionId: UInt64 }

    func addFeedRoutes(_ v1: RouterGroup<ReelRequestContext>) {
        v1.post("feed/sessions") { request, context -> EditedResponse<SessionOut> in
            let viewer = try user(request)
            let body = try await request.decode(as: NewSession.self, context: context)
            let region = body.region ?? engine.user(viewer)?.region ?? "US"
            let id = try await engine.startSession(
                viewer: viewer,
                context: SessionContext(
                    region: region, language: body.language ?? "en", device: body.device ?? "web",
                    network: body.network ?? "wifi"))
            // The index learns sessions from the journal; wait so the next request can use this one.
            for _ in 0..<200 where index.owner(of: id) == nil { try await Task.sleep(for: .milliseconds(5)) }
            return EditedResponse(status: .created, response: SessionOut(sessionId: id))
        }
        v1.get("feed/foryou") { request, _ -> ItemsOut in
            let viewer = try user(request)
            let q = request.uri.queryParameters
            let session = try ownedSession(q["session_id"].flatMap { UInt64(String($0)) }, viewer)
            let count = try q["count"].map { s -> Int in
                guard let n = Int(String(s)) else {
                    throw APIError.badRequest("invalidCount", "count must be an integer, not \(s)")
                }
                return n
            }
            let page = try await engine.feed(session: session, count: count)
            let followed = Set(engine.following(viewer))
            var items = page.items.map { entry -> VideoOut in
                var out = VideoOut(entry.video, engine: engine)
                out.feedSource = entry.source
                out.score = entry.score
                out.creatorFollowed = followed.contains(entry.video.creator)
                return out
            }
            // The first three: fetch their first segment now, from a cache the server warms.
            var warm: [(UInt64, String)] = []
            for i in items.indices.prefix(3) {
                items[i].prefetch = true
                if let lowest = page.items[i].video.renditions.last {
                    items[i].prefetchUrl =
                        "/media/\(items[i].videoId)/\(MediaFiles.firstSegmentPath(lowestRung: lowest))"
                    warm.append((items[i].videoId, lowest))
                }
            }
            files.prefetch(warm.map { (id: $0.0, lowestRung: $0.1) })
            return ItemsOut(items: items)
        }
        v1.get("feed/following") { request, _ -> ItemsOut in
            let viewer = try user(request)
            let limit = try boundedInt(request, "count", 1...50, default: 20)
            let creators = Set(engine.following(viewer))
            let videos = engine.recentVideos(by: creators, limit: limit)
            return ItemsOut(
                items: videos.map {
                    var out = VideoOut($0, engine: engine)
                    out.creatorFollowed = true
                    return out
                })
        }
    }
}
