import Foundation
import Reel
import Testing

/// The real-time loop: what a viewer just did changes the session's very next page.
@Suite struct RecommenderTests {
    @Test func theNextPageFollowsWhatTheViewerJustLiked() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        // Exploration off: every video here is new, and exploration would take them all first; the real-time
        // loop is the session source's.
        var config = testConfiguration(dir)
        config.recommender.exploreEvery = 0
        try await withRunningEngine(config) { engine in
            let (_, cats) = try await publishVideos(engine, count: 12, tags: ["cats"])
            let (_, cars) = try await publishVideos(engine, count: 12, tags: ["cars"])
            let viewer = try await engine.registerUser(
                handle: "looper", region: "US", email: "l@example.org", displayName: "L")
            let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            let first = try await engine.feed(session: session, count: 4)
            // Watch every cat video on the page to the end and like it; skip the cars at once.
            for item in first.items {
                if cats.contains(item.video.id) {
                    try await engine.engage(
                        session: session, .watch(video: item.video.id, watchMillis: 10_000, loops: 1, completed: true))
                    try await engine.engage(session: session, .like(video: item.video.id))
                } else {
                    try await engine.engage(session: session, .skip(video: item.video.id, watchedMillis: 300))
                }
            }
            // If the first page had no cat video, teach the session one directly.
            if !first.items.contains(where: { cats.contains($0.video.id) }) {
                try await engine.engage(
                    session: session, .watch(video: cats[0], watchMillis: 10_000, loops: 1, completed: true))
                try await engine.engage(session: session, .like(video: cats[0]))
            }
            await engine.waitForViews()
            let next = try await engine.feed(session: session, count: 4)
            let catShare = Double(next.items.filter { cats.contains($0.video.id) }.count) / Double(next.items.count)
            #expect(catShare >= 0.75, "the page after liking cats is \(catShare * 100)% cats")
            #expect(next.items.contains { $0.source == "session" })
            #expect(Set(next.items.map(\.video.id)).isDisjoint(with: first.items.map(\.video.id)))
            _ = cars
            // Why each page's first video was shown, and the page chosen again from the journal alone.
            for page in [first, next] {
                let shown = try engine.whyShown(user: viewer, video: page.items[0].video.id)
                #expect(shown.count == 1 && shown[0].place == 1 && shown[0].feed.modelVersion > 0)
                let verification = try engine.verify(shown[0])
                #expect(
                    verification.matches,
                    "recorded \(verification.recorded.map(\.video)), recomputed \(verification.recomputed.map(\.video))"
                )
            }
        }
    }

    /// A new viewer with nothing trending and nothing new to explore pages through the whole small catalogue:
    /// full pages, no repeats (the fresh fill walks back past what the viewer has seen).
    @Test func aColdViewerGetsFullPagesUntilTheCatalogueRunsOut() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        try await withRunningEngine(testConfiguration(dir)) { engine in
            // Published two days ago: too old for exploration, so only the fresh fill can serve them.
            let creator = try await engine.registerUser(
                handle: "oldtimer", region: "US", email: "o@example.org", displayName: "O")
            let twoDaysAgo = Timestamp(
                microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000) - 2 * 86_400_000_000)
            var videos: [UInt64] = []
            for i in 0..<100 {
                videos.append(
                    try await engine.addPublishedVideo(
                        creator: creator, metadata: VideoMetadata(caption: "old clip \(i)", hashtags: ["misc"]),
                        durationMillis: 10_000, at: twoDaysAgo))
            }
            let viewer = try await engine.registerUser(
                handle: "newcomer", region: "US", email: "n@example.org", displayName: "N")
            let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            var served: [UInt64] = []
            for _ in 0..<10 {
                let page = try await engine.feed(session: session, count: 10)
                #expect(page.items.count == 10)
                served += page.items.map(\.video.id)
            }
            #expect(Set(served) == Set(videos), "ten pages of ten cover the 100 videos without repeats")
        }
    }

    /// A viewer the model knows nothing about gets a first page of different hashtags (decision 0016): popular
    /// videos crowd into a few hashtags, and a page that spans them repeats less and tells more.
    @Test func aColdViewersFirstPageSpansHashtags() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        try await withRunningEngine(testConfiguration(dir)) { engine in
            let twoDaysAgo = Timestamp(
                microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000) - 2 * 86_400_000_000)
            var creators: [UInt64] = []
            for c in 0..<12 {
                creators.append(
                    try await engine.registerUser(
                        handle: "maker\(c)", region: "US", email: "m\(c)@example.org", displayName: "M\(c)"))
            }
            // Half the catalogue is one hashtag; twelve hashtags in all.
            for i in 0..<60 {
                let tag = i < 30 ? "dance" : "topic\(i % 11)"
                _ = try await engine.addPublishedVideo(
                    creator: creators[i % 12], metadata: VideoMetadata(caption: "clip \(i)", hashtags: [tag]),
                    durationMillis: 10_000, at: twoDaysAgo)
            }
            let viewer = try await engine.registerUser(
                handle: "newcomer", region: "US", email: "n@example.org", displayName: "N")
            let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            let page = try await engine.feed(session: session, count: 10)
            #expect(page.items.count == 10)
            let mainTags = page.items.compactMap { $0.video.hashtags.first }
            #expect(Set(mainTags).count == mainTags.count, "\(mainTags)")
        }
    }
}
