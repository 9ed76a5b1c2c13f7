import Foundation
import Logging
import Reel
import ServiceLifecycle
import Testing

/// A host built from the public API alone: lifecycle, commands, queries, feed, audit and subscriptions.
@Suite struct EmbeddingTests {
    @Test func aHostRunsTheWholeLoopThroughThePublicAPI() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let engine = try ReelEngine(configuration: testConfiguration(dir))
        let likes = LikeCounter()
        let subscription = engine.subscribe(likes)
        #expect(!engine.isReady)
        await #expect(throws: ReelError.self) { try await engine.registerUser(handle: "early", region: "US", email: "e@x.org", displayName: "E") }

        let group = ServiceGroup(configuration: .init(services: [engine], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }

        let (creator, videos) = try await publishVideos(engine, count: 4)
        let viewer = try await engine.registerUser(handle: "viewer", region: "US", email: "v@example.org", displayName: "Vera Viewer")
        let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))

        let first = try await engine.feed(session: session, count: 3)
        #expect(first.items.count == 3)
        #expect(Set(first.items.map(\.video.id)).isSubset(of: Set(videos)))
        let watched = first.items[0].video.id
        try await engine.engage(session: session, .watch(video: watched, watchMillis: 10_000, completed: true))
        try await engine.engage(session: session, .like(video: watched))
        try await engine.follow(user: viewer, creator: creator, session: session)
        // The next page never repeats what was served, and the last unseen video comes up.
        let second = try await engine.feed(session: session, count: 3)
        #expect(Set(second.items.map(\.video.id)) == Set(videos).subtracting(first.items.map(\.video.id)))

        // Domain rules come back as typed errors.
        let rejected = await #expect(throws: ReelError.self) { try await engine.follow(user: viewer, creator: viewer) }
        #expect(rejected?.category == .rejected)
        let unknown = await #expect(throws: ReelError.self) { try await engine.feed(session: 999) }
        #expect(unknown?.category == .notFound)
        let badCount = await #expect(throws: ReelError.self) { try await engine.feed(session: session, count: 0) }
        #expect(badCount?.category == .invalid)
        let tooLong = await #expect(throws: ReelError.self) { try await engine.engage(session: session, .watch(video: watched, watchMillis: 99_000, completed: true)) }
        #expect(tooLong?.code == "watchTimeOutOfRange")

        try await settle(engine)
        #expect(engine.video(watched)?.counters.plays == 1)
        #expect(engine.video(watched)?.counters.likes == 1)
        #expect(engine.following(viewer) == [creator])
        #expect(engine.user(creator)?.followers == 1)
        #expect(try engine.search("clip", kind: "video").count == 4)
        #expect(engine.trending(region: "US").first?.id == watched)
        // Audits: the session's state now, and why the liked video was shown.
        let audit = try engine.audit(.session, session)
        #expect(audit.version == 5)
        let why = try engine.whyShown(video: watched, session: session)
        #expect(why.count == 1 && why[0].feed.viewsPosition == first.viewsPosition)
        #expect(["session", "longTerm", "trending", "following", "likedSimilar", "explore", "fresh"].contains(why[0].item.source))
        // What the choice rested on: affinities, and the ranker's predictions or the exploration sample.
        let named = why[0].item.features.map(\.name)
        #expect(named.contains("longTerm") && named.contains("session"))
        #expect(named.contains("p_watch") || named.contains("exploreSample"))
        #expect(why[0].feed.modelVersion > 0, "the feed records the model position it was ranked with")
        #expect(subscription.waitUntil(delivered: engine.status.journalPosition))
        #expect(likes.count(watched) == 1 && likes.receivedInOrder)

        await group.triggerGracefulShutdown()
        try await running.value
        #expect(!engine.isReady)
        #expect(likes.checkpoints > 0)

        // A second engine on the same directory sees the same world.
        try await withRunningEngine(testConfiguration(dir)) { again in
            #expect(again.status.journalPosition == engine.status.journalPosition)
            #expect(again.video(watched)?.counters.likes == 1)
            let resumed = try await again.feed(session: session, count: 3)
            #expect(resumed.items.isEmpty, "everything was served already")
        }
    }

    @Test func aSecondEngineOnTheSameDirectoryIsRefused() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        try await withRunningEngine(testConfiguration(dir)) { _ in
            let error = #expect(throws: ReelError.self) { _ = try ReelEngine(configuration: testConfiguration(dir)) }
            #expect(error?.category == .locked)
            #expect(error?.message.contains("process \(getpid())") == true)
            #expect(DataDirectoryLock.holder(of: dir) == getpid())
        }
        #expect(DataDirectoryLock.holder(of: dir) == nil)
        // Once the first has stopped, a new engine opens it.
        try await withRunningEngine(testConfiguration(dir)) { _ in }
    }
}
