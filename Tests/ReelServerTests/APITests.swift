import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import Reel
import ReelMedia
import ReelServer
import Testing

/// End to end through HTTP on loopback: the same application `reel serve` runs.
@Suite(.enabled(if: hasFFmpeg, "needs ffmpeg"), .serialized) struct APITests {
    @Test func aViewerAndACreatorUseTheWholeAPI() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let server = try ReelServer(configuration: serverConfiguration(dir))
        let extra = [
            try makeClip("\(dir)/x.mp4", pattern: "smptebars", tone: 300),
            try makeClip("\(dir)/y.mp4", pattern: "rgbtestsrc", tone: 600),
        ]
        let upload = try Data(contentsOf: URL(fileURLWithPath: try makeClip("\(dir)/up.mp4", seconds: 5)))
        try await server.application().test(.live) { client in
            let anon = API(client: client)
            let (creatorID, creator) = try await anon.signUp("maker")
            let (viewerID, viewer) = try await anon.signUp("watcher", region: "BR")

            // Upload in chunks, dropping the connection half way: the status says what is missing.
            let started = try await creator.call(.post, "/api/v1/video/upload", ["byte_size": upload.count])
            #expect(started.status == .created)
            let uploadID = try #require(started["upload_id"] as? String)
            let chunkSize = Int(try #require(uint(started["chunk_size"])))
            let chunks = try #require(started["chunks"] as? [[String: Any]])
            #expect(chunks.count == (upload.count + chunkSize - 1) / chunkSize && chunks.count >= 3)
            func put(_ i: Int, as api: API = creator, corrupt: Bool = false) async throws -> API.Reply {
                let part = upload[(i * chunkSize)..<min(upload.count, (i + 1) * chunkSize)]
                var headers = HTTPFields()
                headers.append(
                    .init(
                        name: .init("X-Content-SHA256")!,
                        value: corrupt ? String(repeating: "0", count: 64) : sha256Hex(Data(part))))
                return try await api.call(
                    .put, chunks[i]["url"] as! String, raw: ByteBuffer(bytes: part), headers: headers)
            }
            #expect(try await put(0).status == .noContent)
            #expect(try await put(1, corrupt: true).errorCode == "checksumMismatch")
            #expect(try await put(1, as: viewer).status == .forbidden, "a chunk URL is bound to its uploader")
            let status = try await creator.call(.get, "/api/v1/video/upload/\(uploadID)")
            #expect((status["missing"] as? [Int])?.first == 1)
            let early = try await creator.call(
                .post, "/api/v1/video/upload/\(uploadID)/complete", ["caption": "too soon"])
            #expect(early.status == .conflict && early.errorCode == "incomplete")
            for i in 1..<chunks.count { #expect(try await put(i).status == .noContent) }
            let done = try await creator.call(
                .post, "/api/v1/video/upload/\(uploadID)/complete",
                ["caption": "a pattern with a tone", "hashtags": ["#Patterns", "tone"]])
            #expect(done.status == .accepted)
            let video = try #require(uint(done["video_id"]))
            for path in extra {
                try await server.media.ingest(
                    file: path, creator: creatorID,
                    metadata: VideoMetadata(caption: "another clip", hashtags: ["other"]))
            }
            var published = try await anon.call(.get, "/api/v1/video/\(video)")
            for _ in 0..<600 where published["status"] as? String != "published" {
                try await Task.sleep(for: .milliseconds(100))
                published = try await anon.call(.get, "/api/v1/video/\(video)")
            }
            #expect(published["status"] as? String == "published")
            #expect(published["hashtags"] as? [String] == ["patterns", "tone"])
            #expect(await server.media.waitUntilSettled(video))
            while server.media.queueDepth > 0 { try await Task.sleep(for: .milliseconds(100)) }

            // A real client plays the HLS over HTTP.
            let port = try #require(client.port)
            let hls = "http://127.0.0.1:\(port)\(try #require(published["hls_url"] as? String))"
            let play = Process()
            play.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            play.arguments = ["ffmpeg", "-v", "error", "-i", hls, "-f", "null", "-"]
            try play.run()
            play.waitUntilExit()
            #expect(play.terminationStatus == 0, "ffmpeg played \(hls)")
            let range = try await anon.call(
                .get, try #require(published["mp4_url"] as? String), headers: [.range: "bytes=0-9"])
            #expect(range.status == .partialContent && range.body.readableBytes == 10)
            #expect(range.headers[.cacheControl]?.contains("immutable") == true)

            // The feed: three items, the first three marked for prefetch, each playable.
            let session = try #require(
                uint(
                    try await viewer.call(.post, "/api/v1/feed/sessions", ["region": "BR", "device": "web"])[
                        "session_id"]))
            let page1 = try await viewer.call(.get, "/api/v1/feed/foryou?session_id=\(session)&count=2")
            let items1 = try #require(page1["items"] as? [[String: Any]])
            #expect(
                items1.count == 2
                    && items1.allSatisfy { $0["prefetch"] as? Bool == true && $0["prefetch_url"] is String })
            #expect(items1.allSatisfy { $0["creator_followed"] as? Bool == false })
            let first = try #require(uint(items1[0]["video_id"]))
            #expect(try await anon.call(.get, items1[0]["prefetch_url"] as! String).status == .ok)
            // Engage: the next page reacts (what was watched is not served again) and the counters move.
            #expect(
                try await viewer.call(
                    .post, "/api/v1/video/\(first)/engage",
                    ["session_id": session, "watch_time_ms": 3000, "completed": true, "loops": 1]
                ).status == .noContent)
            #expect(
                try await viewer.call(.post, "/api/v1/video/\(first)/like", ["session_id": session]).status
                    == .noContent)
            // Follow the creator: the next page's items say so (the follow button's state survives a reload).
            #expect(try await viewer.call(.post, "/api/v1/users/\(creatorID)/follow").status == .noContent)
            let page2 = try await viewer.call(.get, "/api/v1/feed/foryou?session_id=\(session)&count=2")
            let items2 = page2["items"] as? [[String: Any]] ?? []
            let ids2 = items2.compactMap { uint($0["video_id"]) }
            #expect(!ids2.isEmpty && !ids2.contains(first))
            #expect(items2.allSatisfy { $0["creator_followed"] as? Bool == (uint($0["creator_id"]) == creatorID) })
            #expect(items2.contains { uint($0["creator_id"]) == creatorID })
            let liked = try await anon.call(.get, "/api/v1/video/\(first)")
            #expect(uint((liked["counters"] as? [String: Any])?["likes"]) == 1)
            // A second like, from this session or another, changes nothing.
            let otherSession = try #require(uint(try await viewer.call(.post, "/api/v1/feed/sessions", ["region": "BR"])["session_id"]))
            for s in [session, otherSession] {
                #expect(try await viewer.call(.post, "/api/v1/video/\(first)/like", ["session_id": s]).status == .noContent)
            }
            // (The newest session's interest is what the admin's interest audit shows below.)
            #expect(
                try await viewer.call(.post, "/api/v1/video/\(first)/engage", ["session_id": otherSession, "watch_time_ms": 3000, "completed": true])
                    .status == .noContent)
            let likedTwice = try await anon.call(.get, "/api/v1/video/\(first)")
            #expect(uint((likedTwice["counters"] as? [String: Any])?["likes"]) == 1)

            // Follow (above), comment, search, trending.
            #expect(uint(try await anon.call(.get, "/api/v1/users/\(creatorID)")["followers"]) == 1)
            let following = try await viewer.call(.get, "/api/v1/feed/following")
            #expect((following["items"] as? [[String: Any]])?.count == 3)
            #expect(
                (following["items"] as? [[String: Any]])?.allSatisfy { $0["creator_followed"] as? Bool == true } == true
            )
            let posted = try await viewer.call(
                .post, "/api/v1/video/\(first)/comments", ["session_id": session, "text": "nice tone"])
            #expect(posted.status == .created)
            var comments = try await anon.call(.get, "/api/v1/video/\(first)/comments")
            for _ in 0..<100 where (comments["comments"] as? [Any])?.isEmpty != false {
                try await Task.sleep(for: .milliseconds(20))
                comments = try await anon.call(.get, "/api/v1/video/\(first)/comments")
            }
            #expect(((comments["comments"] as? [[String: Any]])?.first?["text"] as? String) == "nice tone")
            let found = try await anon.call(.get, "/api/v1/search?q=pattern&type=video")
            #expect((found["results"] as? [[String: Any]])?.contains { uint($0["id"]) == video } == true)
            let maker = try await anon.call(.get, "/api/v1/search?q=maker&type=creator")
            #expect((maker["results"] as? [[String: Any]])?.contains { uint($0["id"]) == creatorID } == true, "\(maker.json)")
            #expect(try await anon.call(.get, "/api/v1/search?q=%2B").errorCode == "missingQuery", "a query with no words")

            // Audit with the admin token: why was it shown, and the interest then.
            var admin = anon
            admin.token = "test-admin-token"
            #expect(
                try await viewer.call(.get, "/api/v1/audit/why?user=\(viewerID)&video=\(first)").status == .forbidden)
            #expect(
                try await anon.call(.get, "/api/v1/audit/why?user=\(viewerID)&video=\(first)").status == .unauthorized,
                "no token at all is 401, not 403")
            let why = try await admin.call(.get, "/api/v1/audit/why?user=\(viewerID)&video=\(first)")
            let feeds = try #require(why["feeds"] as? [[String: Any]])
            #expect(feeds.count == 1 && ((feeds[0]["items"] as? [[String: Any]])?.first?["source"] as? String) != nil)
            // ... and recomputed from the journal alone: the same page.
            let verified = try await admin.call(.get, "/api/v1/audit/why?user=\(viewerID)&video=\(first)&verify=true")
            let verification = (verified["feeds"] as? [[String: Any]])?.first?["verification"] as? [String: Any]
            #expect(verification?["matches"] as? Bool == true, "\(verified.json)")
            #expect((verification?["recomputed"] as? [Any])?.count == 2)
            let interest = try await admin.call(.get, "/api/v1/audit/users/\(viewerID)/interest")
            #expect((interest["long_term"] as? [[String: Any]])?.isEmpty == false)
            #expect((interest["session"] as? [[String: Any]])?.isEmpty == false, "\(interest.json)")
            let entity = try await admin.call(.get, "/api/v1/audit/entities/user/\(viewerID)")
            #expect((entity["state"] as? [String: Any])?["handle"] as? String == "watcher", "state is JSON, not JSON text: \(entity.json)")
            let served = try await admin.call(.get, "/api/v1/audit/users/\(viewerID)/feeds")
            #expect((served["feeds"] as? [Any])?.count == 2)

            // Erasure: the account is gone and cannot log in.
            #expect(try await viewer.call(.delete, "/api/v1/users/\(viewerID)").status == .noContent)
            #expect(try await anon.call(.get, "/api/v1/users/\(viewerID)").status == .notFound)
            #expect(
                try await anon.call(.post, "/api/v1/sessions", ["handle": "watcher", "password": "secret-watcher"])
                    .status == .unauthorized)
        }
    }

    /// Secrets are the owner's alone (issue 24: `accounts.sqlite` and `keys.sqlite` were 0644): a data directory
    /// left open, and secret files created open by someone else, are made private at start.
    @Test func theDataDirectoryAndItsSecretsArePrivate() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        chmod(dir, 0o755)
        for name in ["keys.sqlite", "accounts.sqlite"] {
            #expect(FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: nil, attributes: [.posixPermissions: 0o644]))
        }
        var config = serverConfiguration(dir)
        config.server.adminToken = ""
        do {
            let server = try ReelServer(configuration: config)
            _ = server
            #expect(FilePrivacy.mode(dir) == 0o700)
            #expect(FilePrivacy.mode("\(dir)/journal") == 0o700)
            for name in ["keys.sqlite", "accounts.sqlite", "admin.token", "LOCK"] {
                #expect(FilePrivacy.mode("\(dir)/\(name)") == 0o600, "\(name) is \(String(FilePrivacy.mode("\(dir)/\(name)") ?? 0, radix: 8))")
            }
            // SQLite's side files take the main file's mode.
            let side = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("accounts.sqlite-") || $0.hasPrefix("keys.sqlite-") }
            for name in side { #expect(FilePrivacy.mode("\(dir)/\(name)")! & 0o077 == 0, "\(name)") }
        }
    }

    /// Every client mistake gets a 4xx with a JSON error naming it; never a 500.
    @Test func badRequestsGetTheRight4xx() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let server = try ReelServer(configuration: serverConfiguration(dir))
        try await server.application().test(.live) { client in
            let anon = API(client: client)
            let (someoneID, user) = try await anon.signUp("someone")
            func expect(_ reply: API.Reply, _ status: HTTPResponse.Status, _ code: String?, _ what: String) {
                #expect(reply.status == status, "\(what): \(reply.status) \(reply.json)")
                if let code { #expect(reply.errorCode == code, "\(what): \(reply.json)") }
            }
            expect(
                try await anon.call(.post, "/api/v1/users", raw: ByteBuffer(string: "{not json")), .badRequest, nil,
                "malformed JSON")
            expect(try await anon.call(.post, "/api/v1/users", ["handle": "x"]), .badRequest, nil, "missing fields")
            expect(
                try await anon.call(
                    .post, "/api/v1/users",
                    ["handle": "someone", "email": "a@b.c", "display_name": "S", "password": "long enough"]), .conflict,
                "handleTaken", "duplicate handle")
            expect(
                try await anon.call(
                    .post, "/api/v1/users",
                    ["handle": "new", "email": "a@b.c", "display_name": "S", "password": "short"]), .badRequest,
                "weakPassword", "weak password")
            expect(
                try await anon.call(.post, "/api/v1/sessions", ["handle": "someone", "password": "wrong password"]),
                .unauthorized, "badCredentials", "wrong password")
            expect(
                try await anon.call(.get, "/api/v1/feed/foryou?session_id=1"), .unauthorized, "unauthorized", "no token"
            )
            var forged = user
            forged.token = (user.token ?? "") + "0"
            expect(
                try await forged.call(.post, "/api/v1/feed/sessions", [:]), .unauthorized, "unauthorized",
                "tampered token")
            expect(try await user.call(.get, "/api/v1/feed/foryou?session_id=42"), .notFound, nil, "unknown session")
            expect(try await user.call(.get, "/api/v1/feed/foryou"), .badRequest, "missingSession", "no session")
            expect(try await anon.call(.get, "/api/v1/users/999"), .notFound, nil, "unknown user")
            expect(try await anon.call(.get, "/api/v1/users/abc"), .badRequest, nil, "non-numeric id")
            expect(try await anon.call(.get, "/api/v1/video/123"), .notFound, nil, "unknown video")
            let session = try #require(uint(try await user.call(.post, "/api/v1/feed/sessions", [:])["session_id"]))
            expect(
                try await user.call(.post, "/api/v1/video/77/like", ["session_id": session]), .notFound, nil,
                "liking an unknown video")
            expect(
                try await user.call(.post, "/api/v1/video/77/engage", ["session_id": session]), .badRequest,
                "missingField", "watch without a time")
            expect(
                try await user.call(.get, "/api/v1/feed/foryou?session_id=\(session)&count=5000"), .badRequest,
                "invalidCount", "count too large")
            expect(
                try await user.call(.post, "/api/v1/video/upload", ["byte_size": 0]), .badRequest, "uploadTooLarge",
                "empty upload")
            expect(
                try await user.call(.put, "/api/v1/video/upload/abc/chunks/0"), .forbidden, "unsigned", "unsigned chunk"
            )
            expect(try await anon.call(.get, "/api/v1/search"), .badRequest, "missingQuery", "search without q")
            expect(
                try await anon.call(.get, "/api/v1/search?q=x&type=planet"), .badRequest, "invalidType", "search type")
            // Over a documented maximum is refused, not clamped (issue 24, item 8).
            expect(try await user.call(.get, "/api/v1/feed/following?count=51"), .badRequest, "invalidCount", "following count 51")
            expect(try await user.call(.get, "/api/v1/feed/following?count=x"), .badRequest, "invalidCount", "following count x")
            expect(try await anon.call(.get, "/api/v1/video/1/comments?limit=101"), .badRequest, "invalidLimit", "comments limit 101")
            expect(
                try await anon.call(.get, "/api/v1/audit/why?user=1&video=2"), .unauthorized, "adminOnly",
                "audit without any token (401, not 403: issue 24)")
            expect(try await user.call(.get, "/api/v1/audit/why?user=1&video=2"), .forbidden, "adminOnly", "audit with a user's token")
            // Times from outside that are no time: each once crashed the server in `Timestamp` (issue 24).
            var admin = anon
            admin.token = "test-admin-token"
            for at in ["1e300", "nan", "inf", "-inf", "99999999999999", "-1e19", "10000-01-01", ".5", "1e18"] {
                for path in ["users/\(someoneID)/interest", "users/\(someoneID)/feeds", "entities/user/\(someoneID)"] {
                    expect(try await admin.call(.get, "/api/v1/audit/\(path)?at=\(at)"), .badRequest, "invalidTime", "\(path)?at=\(at)")
                }
            }
            #expect(try await anon.call(.get, "/health").status == .ok)
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: 2 << 20)
            expect(
                try await anon.call(.post, "/api/v1/users", raw: big, headers: [.contentType: "application/json"]),
                .contentTooLarge, nil, "body too large")
            expect(try await anon.call(.get, "/media/1/../../admin.token"), .notFound, nil, "path traversal")
            // Log out: the token stops working.
            expect(try await user.call(.delete, "/api/v1/sessions"), .noContent, nil, "log out")
            expect(
                try await user.call(.post, "/api/v1/feed/sessions", [:]), .unauthorized, "unauthorized", "revoked token"
            )
        }
    }

    @Test func metricsAndHealthAreServed() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let registry = ReelMetrics.bootstrap()
        let server = try ReelServer(configuration: serverConfiguration(dir))
        try await server.application(metrics: registry).test(.live) { client in
            let anon = API(client: client)
            _ = try await anon.signUp("counted")
            let health = try await anon.call(.get, "/health")
            #expect(health.status == .ok && health["ready"] as? Bool == true)
            #expect(try await anon.call(.get, "/metrics").errorCode == "adminOnly", "metrics need the admin token")
            let page = try await anon.call(.get, "/")
            #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            var admin = anon
            admin.token = "test-admin-token"
            let metrics = try await admin.call(.get, "/metrics")
            let text = String(buffer: metrics.body)
            #expect(metrics.status == .ok && metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            for name in [
                "reel_commands_total", "reel_command_duration_seconds", "http_server_request_duration",
                "reel_views_lag_events",
            ] {
                #expect(text.contains(name), "\(name) missing from /metrics")
            }
        }
    }

    /// With `accounts.sqlite` gone while the journal records sign-ups, the server refuses to start (everyone
    /// would be locked out) instead of creating an empty store; imported users alone need no accounts.
    @Test func aMissingAccountStoreIsRefused() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var config = serverConfiguration(dir)
        do {
            let server = try ReelServer(configuration: config)
            let running = Task { try await server.engine.run() }
            while !server.engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
            _ = try await server.engine.importUser(id: 41, region: "US")
            await server.engine.shutdown()
            try await running.value
        }
        // Imported users alone need no accounts.
        try FileManager.default.removeItem(atPath: "\(dir)/accounts.sqlite")
        do {
            let server = try ReelServer(configuration: config)
            let running = Task { try await server.engine.run() }
            while !server.engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
            _ = try await server.engine.registerUser(handle: "hasaccount", region: "US", email: "h@example.org", displayName: "H")
            await server.engine.shutdown()
            try await running.value
        }
        try FileManager.default.removeItem(atPath: "\(dir)/accounts.sqlite")
        for attempt in 1...2 {
            do {
                _ = try ReelServer(configuration: config)
                Issue.record("attempt \(attempt): the server started without the accounts its sign-ups need")
            } catch let error as ReelError {
                #expect(error.code == "accountStoreMissing", "\(error)")
                #expect(error.message.contains("accounts.sqlite") && error.message.contains("backup"))
            }
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/accounts.sqlite"))
        }
        config.journal.allowMissingSecretStores = true
        _ = try ReelServer(configuration: config)
    }

    @Test func rotatingTheSigningKeyLogsNobodyOut() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let accounts = try AccountStore(path: "\(dir)/accounts.sqlite", tokenLifetimeSeconds: 3600)
        try await accounts.createAccount(user: 7, handle: "Someone", password: "correct horse")
        #expect(try await accounts.verify(handle: "someone", password: "correct horse") == 7)
        #expect(try await accounts.verify(handle: "someone", password: "wrong horse") == nil)
        let old = try accounts.issueToken(user: 7)
        try accounts.rotateSigningKey()
        let new = try accounts.issueToken(user: 7)
        #expect(accounts.authenticate(old.value)?.user == 7, "tokens signed before the rotation still work")
        #expect(accounts.authenticate(new.value)?.user == 7)
        #expect(accounts.signingKeyCount == 2)
        // A key older than the token lifetime that signed a token a second ago keeps it valid through a
        // rotation (issue 24: the rotation deleted it, and that token got 401).
        let later = Int64(Date().timeIntervalSince1970) + 3 * 3600
        let fresh = try accounts.issueToken(user: 7, now: later - 1)
        try accounts.rotateSigningKey(now: later)
        #expect(accounts.authenticate(fresh.value, now: later + 10)?.user == 7, "a token issued just before a rotation still works")
        let reopened = try AccountStore(path: "\(dir)/accounts.sqlite", tokenLifetimeSeconds: 3600)
        #expect(reopened.authenticate(fresh.value, now: later + 10)?.user == 7, "and after a restart")
        // Once the old key's tokens have all expired, the next rotation drops it.
        try accounts.rotateSigningKey(now: later + 7200)
        #expect(accounts.authenticate(old.value) == nil)
        #expect(accounts.authenticate(fresh.value, now: later + 10) == nil, "its key went once its tokens had expired")
        #expect(
            accounts.authenticate(new.value, now: Int64(Date().timeIntervalSince1970) + 4000) == nil, "tokens expire")
    }
}
