import Foundation
import ReelDomain
import ReelJournal
import Testing

@testable import Reel

/// A viewer likes (and saves) a video at most once, whatever the session: repeats record nothing, and the
/// views count a like once even when two sessions race it into the journal.
@Suite struct EngagementIdempotenceTests {
    @Test func aLikeOrASaveCountsOnceWhateverTheSession() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        try await withRunningEngine(testConfiguration(dir)) { engine in
            let (creator, videos) = try await publishVideos(engine, count: 1)
            let video = videos[0]
            let viewer = try await engine.registerUser(handle: "liker", region: "US", email: "l@example.org", displayName: "L")
            let first = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            let second = try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))
            func counts() async -> (likes: UInt64, saves: UInt64, creatorLikes: UInt64) {
                await engine.waitForViews()
                let c = engine.video(video)?.counters
                return (c?.likes ?? 99, c?.saves ?? 99, engine.user(creator)?.totalLikes ?? 99)
            }

            #expect(try await engine.engage(session: first, .like(video: video)).position != nil)
            #expect(try await engine.engage(session: first, .like(video: video)).position == nil, "a repeat records nothing")
            #expect(try await engine.engage(session: second, .like(video: video)).position == nil, "nor from another session")
            #expect(await counts() == (1, 0, 1))

            try await engine.engage(session: first, .save(video: video))
            #expect(try await engine.engage(session: second, .save(video: video)).position == nil)
            #expect(await counts() == (1, 1, 1))

            #expect(try await engine.engage(session: second, .unlike(video: video)).position != nil)
            #expect(try await engine.engage(session: first, .unlike(video: video)).position == nil, "nothing left to unlike")
            #expect(await counts() == (0, 1, 0))

            // A like, unlike and like again in one session, without waiting: each sees the one before.
            try await engine.engage(session: first, .like(video: video))
            try await engine.engage(session: first, .unlike(video: video))
            try await engine.engage(session: first, .like(video: video))
            #expect(await counts() == (1, 1, 1))
        }
    }

    /// Two sessions that both got a like into the journal (racing within the fold's lag) count once; an
    /// erasure takes the erased viewer's like and save out of the counts.
    @Test func theViewsCountARacedLikeOnceAndForgetAnErasedOne() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        try await withRunningEngine(testConfiguration(dir)) { engine in
            let (creator, videos) = try await publishVideos(engine, count: 1)
            let video = videos[0]
            let viewer = try await engine.registerUser(handle: "racer", region: "US", email: "r@example.org", displayName: "R")
            let sessions = [
                try await engine.startSession(viewer: viewer, context: SessionContext(region: "US")),
                try await engine.startSession(viewer: viewer, context: SessionContext(region: "US")),
            ]
            // Straight to the sessions' actors, past the engine's check: what a race looks like in the journal.
            for session in sessions {
                _ = try await engine.sessions.send(.like(video: video, at: engine.now), to: session)
                _ = try await engine.sessions.send(.save(video: video, at: engine.now), to: session)
            }
            await engine.waitForViews()
            #expect(engine.video(video)?.counters.likes == 1)
            #expect(engine.video(video)?.counters.saves == 1)
            #expect(engine.user(creator)?.totalLikes == 1)

            try await engine.eraseUser(viewer)
            await engine.waitForViews()
            #expect(engine.video(video)?.counters.likes == 0)
            #expect(engine.video(video)?.counters.saves == 0)
            #expect(engine.user(creator)?.totalLikes == 0)
        }
    }
}
