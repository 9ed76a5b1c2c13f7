import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Reel
import Testing

@testable import ReelServer

/// Trust and safety through the HTTP API: users report, moderators work the queue, every decision is an
/// event with who and why, and its effect reaches feeds, search, comments and log-in (issue 24).
@Suite(.serialized) struct ModerationTests {
    func admin(_ client: any TestClientProtocol) -> API { API(client: client, token: "test-admin-token") }

    func session(_ api: API) async throws -> UInt64 {
        try #require(uint(try await api.call(.post, "/api/v1/feed/sessions", ["region": "US"])["session_id"]))
    }

    func status(_ api: API, _ video: UInt64) async throws -> String? {
        try await api.call(.get, "/api/v1/video/\(video)")["status"] as? String
    }

    @Test func reportsQueueTakedownAndRestoreOfAVideo() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let server = try ReelServer(configuration: serverConfiguration(dir))
        try await server.application().test(.live) { client in
            let anon = API(client: client)
            let (creatorID, creator) = try await anon.signUp("maker")
            let (_, alice) = try await anon.signUp("alice")
            let (_, bob) = try await anon.signUp("bob")
            let video = try await server.engine.addPublishedVideo(
                creator: creatorID, metadata: VideoMetadata(caption: "a questionable clip", hashtags: ["clip"]),
                durationMillis: 8_000)
            let mod = admin(client)

            // Reports: each reporter counts once per round; the creator cannot report their own video.
            #expect(
                try await alice.call(.post, "/api/v1/reports", ["target": "video", "id": video, "reason": "spam"])
                    .status == .accepted)
            #expect(
                try await alice.call(.post, "/api/v1/reports", ["target": "video", "id": video, "reason": "hate"])
                    .status == .accepted)
            #expect(
                try await bob.call(.post, "/api/v1/reports", ["target": "video", "id": video, "reason": "hate"]).status
                    == .accepted)
            #expect(
                try await creator.call(.post, "/api/v1/reports", ["target": "video", "id": video, "reason": "spam"])
                    .errorCode == "ownContent")
            #expect(
                try await bob.call(.post, "/api/v1/reports", ["target": "video", "id": video, "reason": "boring"])
                    .errorCode == "invalidReason")
            #expect(
                try await bob.call(.post, "/api/v1/reports", ["target": "video", "id": 424_242, "reason": "spam"])
                    .status == .notFound)
            #expect(
                try await bob.call(.post, "/api/v1/reports", ["target": "planet", "id": video, "reason": "spam"])
                    .errorCode == "invalidTarget")
            #expect(
                try await anon.call(.post, "/api/v1/reports", ["target": "video", "id": video, "reason": "spam"]).status
                    == .unauthorized)

            // The queue is for moderators only.
            #expect(try await anon.call(.get, "/api/v1/admin/moderation/queue").status == .unauthorized)
            #expect(try await alice.call(.get, "/api/v1/admin/moderation/queue").status == .forbidden)
            let queue = try await mod.call(.get, "/api/v1/admin/moderation/queue")
            let cases = try #require(queue["cases"] as? [[String: Any]])
            #expect(cases.count == 1 && uint(cases.first?["id"]) == video)
            #expect(cases.first?["open_reports"] as? Int == 2, "alice's second report did not count")
            #expect((cases.first?["reasons"] as? [String: Int]) == ["spam": 1, "hate": 1])

            // A takedown: the video leaves search and feeds; the reason is recorded with the moderator.
            let down = try await mod.call(
                .post, "/api/v1/admin/moderation/cases/\(video)/decision",
                ["action": "takedown", "reason": "hate speech", "moderator": "ana"])
            #expect(down.status == .ok && down["status"] as? String == "actioned", "\(down.json)")
            #expect(try await status(anon, video) == "removed")
            let gone = try await anon.call(.get, "/api/v1/search?q=questionable&type=video")
            #expect((gone["results"] as? [[String: Any]])?.isEmpty == true)
            let feed = try await alice.call(.get, "/api/v1/feed/foryou?session_id=\(try await session(alice))&count=10")
            #expect(!((feed["items"] as? [[String: Any]]) ?? []).contains { uint($0["video_id"]) == video })
            #expect(try await mod.call(.get, "/api/v1/admin/moderation/queue")["open"] as? Int == 0)
            // Reporting a taken-down video changes nothing; dismissing it is not a transition.
            #expect(
                try await bob.call(.post, "/api/v1/reports", ["target": "video", "id": video, "reason": "spam"]).status
                    == .accepted)
            #expect(try await mod.call(.get, "/api/v1/admin/moderation/queue")["open"] as? Int == 0)
            let dismiss = try await mod.call(
                .post, "/api/v1/admin/moderation/cases/\(video)/decision", ["action": "dismiss", "reason": "fine"])
            #expect(dismiss.status == .unprocessableContent && dismiss.errorCode == "invalidTransition")
            // A retried takedown is no second decision.
            _ = try await mod.call(
                .post, "/api/v1/admin/moderation/cases/\(video)/decision",
                ["action": "takedown", "reason": "hate speech", "moderator": "ana"])

            // Restored: back in search, with its caption.
            let restored = try await mod.call(
                .post, "/api/v1/admin/moderation/cases/\(video)/decision",
                ["action": "restore", "reason": "appeal upheld", "moderator": "ben"])
            #expect(restored["status"] as? String == "restored", "\(restored.json)")
            #expect(try await status(anon, video) == "published")
            let back = try await anon.call(.get, "/api/v1/search?q=questionable&type=video")
            #expect((back["results"] as? [[String: Any]])?.map { uint($0["id"]) } == [video])

            // The audit trail: every decision with who and why, newest first; the case's own history.
            let log = try await mod.call(.get, "/api/v1/admin/moderation/decisions")
            let decisions = try #require(log["decisions"] as? [[String: Any]])
            #expect(decisions.map { $0["action"] as? String } == ["restore", "takedown"])
            #expect(decisions.map { $0["moderator"] as? String } == ["ben", "ana"])
            #expect(decisions.last?["reason"] as? String == "hate speech")
            let history = try #require(
                try await mod.call(.get, "/api/v1/admin/moderation/cases/\(video)")["history"] as? [[String: Any]])
            #expect(history.map { $0["kind"] as? String } == ["reported", "reported", "decided", "decided"])
            let audited = try await mod.call(.get, "/api/v1/audit/entities/moderation/\(video)")
            #expect((audited["state"] as? [String: Any])?["status"] as? String == "restored")
            #expect(
                try await mod.call(.get, "/api/v1/audit/entities/video/\(video)").json.description.contains("published")
            )
        }
    }

    @Test func commentsAreTakenDownForGoodAndAccountsSuspended() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let server = try ReelServer(configuration: serverConfiguration(dir))
        try await server.application().test(.live) { client in
            let anon = API(client: client)
            let (creatorID, _) = try await anon.signUp("maker")
            let (trollID, troll) = try await anon.signUp("troll")
            let (_, alice) = try await anon.signUp("alice")
            let video = try await server.engine.addPublishedVideo(
                creator: creatorID, metadata: VideoMetadata(caption: "a clip", hashtags: ["clip"]),
                durationMillis: 8_000)
            let mod = admin(client)
            let trollSession = try await session(troll)
            let posted = try await troll.call(
                .post, "/api/v1/video/\(video)/comments", ["session_id": trollSession, "text": "you are awful"])
            let comment = try #require(uint(posted["comment_id"]))
            _ = try await troll.call(
                .post, "/api/v1/video/\(video)/comments", ["session_id": trollSession, "text": "second"])
            #expect(
                try await alice.call(
                    .post, "/api/v1/reports", ["target": "comment", "id": comment, "reason": "harassment"]
                ).status == .accepted)
            let queued = try await mod.call(.get, "/api/v1/admin/moderation/queue")
            let first = try #require((queued["cases"] as? [[String: Any]])?.first)
            #expect(
                first["target"] as? String == "comment" && uint(first["subject"]) == trollID
                    && uint(first["video_id"]) == video)

            let down = try await mod.call(
                .post, "/api/v1/admin/moderation/cases/\(comment)/decision",
                ["action": "takedown", "reason": "harassment"])
            #expect(down["status"] as? String == "actioned", "\(down.json)")
            await server.engine.waitForViews()
            let listed = try await anon.call(.get, "/api/v1/video/\(video)/comments")
            #expect((listed["comments"] as? [[String: Any]])?.map { $0["text"] as? String } == ["second"])
            #expect(
                ((try await anon.call(.get, "/api/v1/video/\(video)"))["counters"] as? [String: Any])?["comments"]
                    as? Int == 1)
            // Final: a comment cannot be restored, and its author deleting it later counts nothing twice.
            let restore = try await mod.call(
                .post, "/api/v1/admin/moderation/cases/\(comment)/decision", ["action": "restore", "reason": "oops"])
            #expect(restore.errorCode == "invalidTransition")
            _ = try await troll.call(.delete, "/api/v1/video/\(video)/comments/\(comment)?session_id=\(trollSession)")
            await server.engine.waitForViews()
            #expect(
                ((try await anon.call(.get, "/api/v1/video/\(video)"))["counters"] as? [String: Any])?["comments"]
                    as? Int == 1)
            #expect(
                try await alice.call(.post, "/api/v1/reports", ["target": "comment", "id": comment, "reason": "spam"])
                    .status == .notFound)

            // An account taken down is suspended: its token and its password stop working until restored.
            let suspend = try await mod.call(
                .post, "/api/v1/admin/moderation/cases/\(trollID)/decision",
                ["target": "account", "action": "takedown", "reason": "repeated harassment"])
            #expect(suspend["status"] as? String == "actioned", "\(suspend.json)")
            #expect(
                try await troll.call(.post, "/api/v1/feed/sessions", ["region": "US"]).errorCode == "accountSuspended")
            let login = try await anon.call(.post, "/api/v1/sessions", ["handle": "troll", "password": "secret-troll"])
            #expect(login.status == .forbidden && login.errorCode == "accountSuspended")
            _ = try await mod.call(
                .post, "/api/v1/admin/moderation/cases/\(trollID)/decision", ["action": "restore", "reason": "appeal"])
            #expect(try await troll.call(.post, "/api/v1/feed/sessions", ["region": "US"]).status == .created)
            // Malformed decisions say what was wrong.
            #expect(
                try await mod.call(
                    .post, "/api/v1/admin/moderation/cases/\(video)/decision", ["action": "nuke", "reason": "x"]
                ).errorCode == "invalidAction")
            #expect(
                try await mod.call(
                    .post, "/api/v1/admin/moderation/cases/\(video)/decision",
                    ["target": "video", "action": "takedown", "reason": " "]
                ).errorCode == "invalidReason")
            #expect(
                try await mod.call(
                    .post, "/api/v1/admin/moderation/cases/99/decision", ["action": "takedown", "reason": "x"]
                ).errorCode == "missingField")
            #expect(try await mod.call(.get, "/api/v1/admin/moderation/cases/99").status == .notFound)
        }
    }

    @Test func commentFiltersAndCreatorsHidingComments() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var c = serverConfiguration(dir)
        c.server.blockedCommentWords = "scamlink, buy followers"
        let server = try ReelServer(configuration: c)
        try await server.application().test(.live) { client in
            let anon = API(client: client)
            let (creatorID, creator) = try await anon.signUp("maker")
            let (otherID, _) = try await anon.signUp("other")
            let (_, alice) = try await anon.signUp("alice")
            let mine = try await server.engine.addPublishedVideo(
                creator: creatorID, metadata: VideoMetadata(caption: "mine"), durationMillis: 8_000)
            let theirs = try await server.engine.addPublishedVideo(
                creator: otherID, metadata: VideoMetadata(caption: "theirs"), durationMillis: 8_000)
            let s = try await session(alice)
            func comment(_ video: UInt64, _ text: String) async throws -> API.Reply {
                try await alice.call(.post, "/api/v1/video/\(video)/comments", ["session_id": s, "text": text])
            }
            // The platform's list: whole words and phrases, case and accents folded.
            #expect(try await comment(theirs, "visit ScamLink now").errorCode == "commentBlocked")
            #expect(try await comment(theirs, "why BUY   followers?").errorCode == "commentBlocked")
            #expect(try await comment(theirs, "scamlinked is another word").status == .created)

            // A creator's own filter: private, applies to their videos only, and does not name the word.
            #expect(
                try await alice.call(.get, "/api/v1/users/\(creatorID)/comment-filter").errorCode == "notYourAccount")
            let set = try await creator.call(
                .put, "/api/v1/users/\(creatorID)/comment-filter", ["words": ["Ugly", " ugly ", "", "go away"]])
            #expect(set["words"] as? [String] == ["Ugly", "go away"], "\(set.json)")
            #expect(
                try await creator.call(.get, "/api/v1/users/\(creatorID)/comment-filter")["words"] as? [String] == [
                    "Ugly", "go away",
                ])
            let filtered = try await comment(mine, "so úgly")
            #expect(filtered.errorCode == "commentFiltered" && !(filtered.json.description.contains("gly")))
            #expect(try await comment(theirs, "so ugly").status == .created, "another creator's video")
            let tooMany = try await creator.call(
                .put, "/api/v1/users/\(creatorID)/comment-filter", ["words": (0..<101).map { "w\($0)" }])
            #expect(tooMany.errorCode == "invalidFilter")

            // Hiding: the video's creator only; the comment leaves, and the record says who.
            let posted = try #require(uint(try await comment(mine, "a rude remark")["comment_id"]))
            #expect(
                try await alice.call(.post, "/api/v1/video/\(mine)/comments/\(posted)/hide").errorCode == "notYourVideo"
            )
            #expect(
                try await creator.call(.post, "/api/v1/video/\(theirs)/comments/\(posted)/hide").errorCode
                    == "notYourVideo")
            #expect(try await creator.call(.post, "/api/v1/video/\(mine)/comments/\(posted)/hide").status == .noContent)
            let listed = try await anon.call(.get, "/api/v1/video/\(mine)/comments")
            #expect((listed["comments"] as? [[String: Any]])?.isEmpty == true)
            let log = try await admin(client).call(.get, "/api/v1/admin/moderation/decisions")
            #expect((log["decisions"] as? [[String: Any]])?.first?["moderator"] as? String == "creator:\(creatorID)")
            #expect(
                try await creator.call(.post, "/api/v1/video/\(mine)/comments/\(posted)/hide").status == .notFound,
                "already gone")
        }
    }

    /// The case's decisions and the read models that fold them rebuild the same in another process.
    @Test func moderationSurvivesARestart() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        @Sendable func caseJSON(_ api: API, _ video: UInt64) async throws -> String {
            let json = try await api.call(.get, "/api/v1/admin/moderation/cases/\(video)").json
            return String(
                decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self)
        }
        let first = try ReelServer(configuration: serverConfiguration(dir))
        let (video, before) = try await first.application().test(.live) { client in
            let anon = API(client: client)
            let (creatorID, _) = try await anon.signUp("maker")
            let (_, alice) = try await anon.signUp("alice")
            let video = try await first.engine.addPublishedVideo(
                creator: creatorID, metadata: VideoMetadata(caption: "a clip", hashtags: ["clip"]),
                durationMillis: 8_000)
            _ = try await alice.call(.post, "/api/v1/reports", ["target": "video", "id": video, "reason": "violence"])
            _ = try await admin(client).call(
                .post, "/api/v1/admin/moderation/cases/\(video)/decision", ["action": "takedown", "reason": "gore"])
            return (video, try await caseJSON(admin(client), video))
        }
        let server = try ReelServer(configuration: serverConfiguration(dir))
        try await server.application().test(.live) { client in
            #expect(try await caseJSON(admin(client), video) == before)
            #expect(try await status(API(client: client), video) == "removed")
            let state = try await server.engine.moderationCase(video)
            #expect(state.status == .actioned && state.reports == 0)
        }
    }
}
