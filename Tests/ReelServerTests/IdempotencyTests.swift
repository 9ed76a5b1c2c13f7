import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Reel
import Testing

@testable import ReelServer

/// A write retried with its `Idempotency-Key` happens once and gets the first answer, in the same process
/// and after a restart, when only the journal knows the first attempt was carried out (issue 24, item 15).
@Suite(.serialized) struct IdempotencyTests {
    func keyed(_ key: String) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: key] }
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    @Test func aRetryHappensOnceAndGetsTheFirstAnswer() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let server = try ReelServer(configuration: serverConfiguration(dir))
        try await server.application().test(.live) { client in
            let video = try await publishedVideo(server.engine)
            let anon = API(client: client)
            let (_, viewer) = try await anon.signUp("retrier")
            let session = try #require((try await viewer.call(.post, "/api/v1/feed/sessions", ["region": "US"])["session_id"] as? NSNumber)?.uint64Value)
            let comment: [String: Any] = ["session_id": session, "text": "only once"]
            let first = try await viewer.call(.post, "/api/v1/video/\(video)/comments", comment, headers: keyed("k-1"))
            let again = try await viewer.call(.post, "/api/v1/video/\(video)/comments", comment, headers: keyed("k-1"))
            #expect(first.status == .created && again.status == .created)
            #expect(again["comment_id"] as? NSNumber == first["comment_id"] as? NSNumber, "the same comment, not a second one")
            #expect(again.headers[Self.replayed] == "true" && first.headers[Self.replayed] == nil)
            // Racing retries: one write.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask { _ = try await viewer.call(.post, "/api/v1/video/\(video)/share", ["session_id": session, "channel": "link"], headers: self.keyed("k-2")) }
                }
                try await group.waitForAll()
            }
            await server.engine.waitForViews()
            #expect(server.engine.video(video)?.counters.shares == 1)
            #expect(server.engine.video(video)?.counters.comments == 1)
            // The same key for something else is refused; a bad key is a 400; no key, no memory.
            let reused = try await viewer.call(.post, "/api/v1/video/\(video)/comments", ["session_id": session, "text": "other"], headers: keyed("k-1"))
            #expect(reused.status == .unprocessableContent && reused.errorCode == "idempotencyKeyReused")
            let bad = try await viewer.call(.post, "/api/v1/video/\(video)/share", ["session_id": session], headers: keyed("has space"))
            #expect(bad.status == .badRequest && bad.errorCode == "invalidIdempotencyKey")
            // Keys belong to their caller: another user's "k-2" is a new request.
            let (_, other) = try await anon.signUp("someoneelse")
            let theirs = try #require((try await other.call(.post, "/api/v1/feed/sessions", ["region": "US"])["session_id"] as? NSNumber)?.uint64Value)
            #expect(try await other.call(.post, "/api/v1/video/\(video)/share", ["session_id": theirs, "channel": "link"], headers: keyed("k-2")).headers[Self.replayed] == nil)
        }
    }

    /// A keyed request after a restart waits for the index to have read the whole journal (only then does
    /// "not recorded" mean "not carried out"), and gives up after the wait with a retryable 503, never by
    /// going ahead: going ahead could write a second time.
    @Test func theIndexWaitEndsWhenItCatchesUpOrTimesOut() async throws {
        let index = ServerIndex()
        let at = Timestamp(milliseconds: 1_700_000_000_000)
        func shared(_ position: UInt64) -> SubscribedEvent {
            let e = VideoShared(viewer: 1, video: 2, session: 3, creator: 4, channel: "link", occurredAt: at)
            return SubscribedEvent(position: position, stream: StreamID(kind: 2, id: 2), recordedAt: at, event: .shared(e), causation: 99)
        }
        let start = ContinuousClock.now
        #expect(await index.waitUntilDelivered(2, timeout: .milliseconds(200)) == false)
        #expect(ContinuousClock.now - start >= .milliseconds(200))
        #expect(await index.waitUntilDelivered(0, timeout: .milliseconds(1)), "nothing to wait for")
        async let caughtUp = index.waitUntilDelivered(2, timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(50))
        try index.receive([shared(0)])
        try await Task.sleep(for: .milliseconds(50))
        try index.receive([shared(1)])
        let waited = ContinuousClock.now
        #expect(await caughtUp, "woken by the delivery, not the timeout")
        #expect(ContinuousClock.now - waited < .seconds(5))
        #expect(index.command(99)?.position == 0)
    }

    /// Golden: python3 -c "import hashlib; print(int.from_bytes(hashlib.sha256(b'reel-idempotency\n7\nabc').digest()[:8], 'big'))"
    @Test func theCommandIDIsTheDocumentedHash() {
        #expect(IdempotencyMiddleware.commandID(caller: 7, key: "abc") == 15_993_993_972_039_400_075)
    }

    func publishedVideo(_ engine: ReelEngine) async throws -> UInt64 {
        let creator = try await engine.registerUser(handle: "maker\(UInt32.random(in: 0...UInt32.max))", region: "US", email: "m@example.org", displayName: "M")
        return try await engine.addPublishedVideo(creator: creator, metadata: VideoMetadata(caption: "a clip", hashtags: ["x"]), durationMillis: 10_000)
    }
}
