import ReelDomain
import ReelJournal
import ReelRuntime
import Testing

@Suite struct SessionEntityTests {
    let session: UInt64 = 500
    let viewer: UInt64 = 1
    let creator: UInt64 = 2
    let clip: UInt64 = 10  // published, 10 s
    let lookup = StaticLookup(users: [1, 2], videos: [
        10: VideoInfo(status: .published, creator: 2, durationMillis: 10_000, sound: 7, hashtags: ["cats"]),
        11: VideoInfo(status: .processing, creator: 2, durationMillis: 0),
        12: VideoInfo(status: .removed, creator: 2, durationMillis: 8_000),
    ])

    var started: [ReelEvent] {
        [.sessionStarted(SessionStarted(session: session, viewer: viewer, region: "PT", language: "pt", device: "ios", network: "wifi", occurredAt: at(0)))]
    }
    var live: SessionEntity.State { given(SessionEntity.self, id: session, started) }

    func decide(_ c: SessionEntity.Command, _ s: SessionEntity.State? = nil) throws -> [ReelEvent] {
        try SessionEntity.decide(c, state: s ?? live, context: lookup)
    }
    func reject(_ code: String, _ c: SessionEntity.Command, _ s: SessionEntity.State? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        expectRejected(code, SessionEntity.self, c, state: s ?? live, context: lookup, sourceLocation: sourceLocation)
    }
    func watched(_ video: UInt64, _ millis: UInt64, loops: UInt64 = 0, completed: Bool = false) -> ReelEvent {
        .watched(VideoWatched(viewer: viewer, video: video, session: session, watchMillis: millis, durationMillis: 10_000, loops: loops, completed: completed, occurredAt: at(1)))
    }
    func commented(_ comment: UInt64, on video: UInt64 = 10) -> ReelEvent {
        .commented(CommentPosted(viewer: viewer, video: video, session: session, comment: comment, text: "hi", occurredAt: at(1)))
    }

    @Test func startRecordsTheContext() throws {
        let fresh = given(SessionEntity.self, id: session, [])
        #expect(try decide(.start(viewer: viewer, region: "PT", language: "pt", device: "ios", network: "wifi", at: at(0)), fresh) == started)
        let s = live
        #expect(s.started && !s.ended && s.id == session && s.viewer == viewer && s.region == "PT" && s.language == "pt" && s.device == "ios" && s.network == "wifi")
        reject("alreadyStarted", .start(viewer: viewer, region: "PT", language: "pt", device: "ios", network: "wifi", at: at(1)))
        reject("unknownUser", .start(viewer: 99, region: "PT", language: "pt", device: "ios", network: "wifi", at: at(0)), fresh)
    }

    @Test func commandsNeedAStartedSession() {
        let fresh = given(SessionEntity.self, id: session, [])
        for c: SessionEntity.Command in [.end(at: at(1)), .like(video: clip, at: at(1)), .watch(video: clip, watchMillis: 1, loops: 0, completed: false, at: at(1))] {
            reject("sessionNotStarted", c, fresh)
        }
    }

    @Test func endedSessionTakesNoMore() throws {
        #expect(try decide(.end(at: at(9))) == [.sessionEnded(SessionEnded(session: session, viewer: viewer, occurredAt: at(9)))])
        let ended = given(SessionEntity.self, id: session, started + [.sessionEnded(SessionEnded(session: session, viewer: viewer, occurredAt: at(9)))])
        #expect(ended.ended)
        for c: SessionEntity.Command in [.end(at: at(10)), .like(video: clip, at: at(10)), .skip(video: clip, watchedMillis: 1, at: at(10))] {
            reject("sessionEnded", c, ended)
        }
    }

    @Test func recordFeedCarriesSessionAndViewer() throws {
        let items = [FeedItem(video: 10, source: "trending", score: 0.5, features: [NamedValue("ctr", 0.1)]), FeedItem(video: 12, source: "explore", score: 0.2)]
        #expect(try decide(.recordFeed(feed: 0, viewsPosition: 42, seed: 7, modelVersion: 3, build: "1.0", items: items, at: at(1)))
            == [.feedServed(FeedServed(session: session, viewer: viewer, feed: 0, viewsPosition: 42, seed: 7, modelVersion: 3, build: "1.0", items: items, occurredAt: at(1)))])
    }

    @Test func servedListKeepsTheLast200() {
        let pages: [ReelEvent] = (0..<3).map { page in
            .feedServed(FeedServed(session: session, viewer: viewer, feed: 0, viewsPosition: 0, seed: 0, modelVersion: 0, build: "",
                                   items: (0..<100).map { FeedItem(video: UInt64(page * 100 + $0), source: "x", score: 0) }, occurredAt: at(1)))
        }
        let s = given(SessionEntity.self, id: session, started + pages)
        #expect(s.recentlyServed == Array(100..<300))
    }

    @Test func watchUsesTheCataloguesDuration() throws {
        #expect(try decide(.watch(video: clip, watchMillis: 20_000, loops: 1, completed: true, at: at(1))) == [watched(clip, 20_000, loops: 1, completed: true)])
        reject("watchTimeOutOfRange", .watch(video: clip, watchMillis: 20_001, loops: 1, completed: true, at: at(1)))
        reject("watchTimeOutOfRange", .watch(video: clip, watchMillis: 10_001, loops: 0, completed: true, at: at(1)))
        // A huge loop count must not trap on overflow, and is refused (it was accepted with any watch time).
        reject("watchTimeOutOfRange", .watch(video: clip, watchMillis: 30_000, loops: .max, completed: true, at: at(1)))
    }

    @Test func videoMustBePublishedAccordingToTheCatalogue() {
        let r = reject2("unknownVideo", .like(video: 99, at: at(1)))
        #expect(r?.message.contains("according to the catalogue view") == true)
        let n = reject2("videoNotPublished", .watch(video: 11, watchMillis: 0, loops: 0, completed: false, at: at(1)))
        #expect(n?.message.contains("according to the catalogue view") == true)
        for c: SessionEntity.Command in [
            .skip(video: 12, watchedMillis: 0, at: at(1)), .like(video: 12, at: at(1)), .share(video: 12, channel: "link", at: at(1)),
            .save(video: 12, at: at(1)), .comment(video: 12, commentID: 1, text: "x", at: at(1)), .notInterested(video: 12, at: at(1)),
        ] { reject("videoNotPublished", c) }
    }
    private func reject2(_ code: String, _ c: SessionEntity.Command) -> CommandRejected? {
        expectRejected(code, SessionEntity.self, c, state: live, context: lookup)
    }

    @Test func skip() throws {
        #expect(try decide(.skip(video: clip, watchedMillis: 1_500, at: at(1)))
            == [.skipped(VideoSkipped(viewer: viewer, video: clip, session: session, watchedMillis: 1_500, durationMillis: 10_000, occurredAt: at(1)))])
        reject("watchTimeOutOfRange", .skip(video: clip, watchedMillis: 10_001, at: at(1)))
    }

    @Test func engagementEventsCarryTheCreator() throws {
        #expect(try decide(.like(video: clip, at: at(1))) == [.liked(VideoLiked(viewer: viewer, video: clip, session: session, creator: creator, occurredAt: at(1)))])
        #expect(try decide(.unlike(video: clip, at: at(1))) == [.unliked(VideoUnliked(viewer: viewer, video: clip, session: session, creator: creator, occurredAt: at(1)))])
        #expect(try decide(.share(video: clip, channel: "message", at: at(1)))
            == [.shared(VideoShared(viewer: viewer, video: clip, session: session, creator: creator, channel: "message", occurredAt: at(1)))])
        #expect(try decide(.save(video: clip, at: at(1))) == [.saved(VideoSaved(viewer: viewer, video: clip, session: session, creator: creator, occurredAt: at(1)))])
        #expect(try decide(.notInterested(video: clip, at: at(1)))
            == [.notInterested(NotInterested(viewer: viewer, video: clip, session: session, creator: creator, occurredAt: at(1)))])
        // A like can be taken back from a video that has since been removed.
        #expect(try decide(.unlike(video: 12, at: at(1))).count == 1)
        reject("unknownVideo", .unlike(video: 99, at: at(1)))
    }

    @Test func commentTextIsChecked() throws {
        #expect(try decide(.comment(video: clip, commentID: 77, text: "nice", at: at(1)))
            == [.commented(CommentPosted(viewer: viewer, video: clip, session: session, comment: 77, text: "nice", occurredAt: at(1)))])
        #expect(try decide(.comment(video: clip, commentID: 77, text: String(repeating: "é", count: 500), at: at(1))).count == 1)
        for text in ["", "  \n", String(repeating: "a", count: 501)] { reject("invalidComment", .comment(video: clip, commentID: 77, text: text, at: at(1))) }
        // 500 visible characters carrying 2,000 combining marks each: 1 MB that counts as 500 (issue 24).
        let heavy = String(repeating: "a" + String(repeating: "\u{0301}", count: 2_000), count: 500)
        #expect(heavy.count == 500 && heavy.utf8.count > 1_000_000)
        reject("invalidComment", .comment(video: clip, commentID: 77, text: heavy, at: at(1)))
        // Emoji sequences (a family: 25 bytes, one character) stay allowed within the byte bound.
        #expect(try decide(.comment(video: clip, commentID: 77, text: String(repeating: "👍🏽", count: 500), at: at(1))).count == 1)
    }

    @Test func labelsFromTheClientAreBounded() throws {
        reject("invalidChannel", .share(video: clip, channel: String(repeating: "x", count: 1 << 20), at: at(1)))
        reject("invalidChannel", .share(video: clip, channel: "", at: at(1)))
        let fresh = SessionEntity.initialState(id: session)
        reject("invalidContext", .start(viewer: viewer, region: String(repeating: "R", count: 1 << 20), language: "", device: "", network: "", at: at(0)), fresh)
        reject("invalidContext", .start(viewer: viewer, region: "US", language: "", device: String(repeating: "d", count: 65), network: "", at: at(0)), fresh)
    }

    @Test func onlyCommentsPostedInThisSessionCanBeDeleted() throws {
        let s = given(SessionEntity.self, id: session, started + [commented(77)])
        #expect(try decide(.deleteComment(video: clip, commentID: 77, at: at(2)), s)
            == [.commentDeleted(CommentDeleted(viewer: viewer, video: clip, session: session, comment: 77, occurredAt: at(2)))])
        reject("notYourComment", .deleteComment(video: clip, commentID: 78, at: at(2)), s)
        reject("notYourComment", .deleteComment(video: 12, commentID: 77, at: at(2)), s)
        let deleted = given(SessionEntity.self, id: session, started + [commented(77), .commentDeleted(CommentDeleted(viewer: viewer, video: clip, session: session, comment: 77, occurredAt: at(2)))])
        #expect(deleted.comments.isEmpty)
        reject("notYourComment", .deleteComment(video: clip, commentID: 77, at: at(3)), deleted)
        // Bounded: the oldest of 101 comments is forgotten.
        let many = given(SessionEntity.self, id: session, started + (1...101).map { commented($0) })
        #expect(many.comments.count == SessionEntity.commentLimit)
        reject("notYourComment", .deleteComment(video: clip, commentID: 1, at: at(3)), many)
        #expect(try decide(.deleteComment(video: clip, commentID: 2, at: at(3)), many).count == 1)
    }

    @Test func shortTermInterestSignals() {
        let events: [ReelEvent] = [
            watched(clip, 20_000, loops: 1, completed: true),  // 1 + 1 + 0.5
            watched(clip, 5_000),  // 0.5
            .skipped(VideoSkipped(viewer: viewer, video: 20, session: session, watchedMillis: 1_000, durationMillis: 10_000, occurredAt: at(1))),  // quick: -1
            .skipped(VideoSkipped(viewer: viewer, video: 21, session: session, watchedMillis: 1_000, durationMillis: 3_000, occurredAt: at(1))),  // not quick on a 3 s clip
            .liked(VideoLiked(viewer: viewer, video: clip, session: session, creator: creator, occurredAt: at(1))),
            .shared(VideoShared(viewer: viewer, video: clip, session: session, creator: creator, channel: "", occurredAt: at(1))),
            .notInterested(NotInterested(viewer: viewer, video: 22, session: session, creator: 3, occurredAt: at(1))),
        ]
        let s = given(SessionEntity.self, id: session, started + events)
        #expect(s.engagements.map(\.signal) == [2.5, 0.5, -1, Float(1_000) / 3_000, 1, 1.5, -3])
        #expect(s.engagements.map(\.creator) == [0, 0, 0, 0, creator, creator, 3])
        #expect(s.recentlyWatched == [clip, clip])
    }

    @Test func recentListsAreBounded() {
        let s = given(SessionEntity.self, id: session, started + (0..<150).map { watched(UInt64($0), 1_000) })
        #expect(s.recentlyWatched == Array(50..<150))
        #expect(s.engagements.count == SessionEntity.engagementLimit && s.engagements.first?.video == 100)
    }

    @Test func evolveIgnoresOtherKindsOfEvents() {
        let other = given(SessionEntity.self, id: session, started + [
            .followed(CreatorFollowed(user: viewer, creator: creator, session: session, occurredAt: at(1))),
            .published(VideoPublished(video: clip, occurredAt: at(1))),
        ])
        #expect(other == live)
    }

    @Test func metadataNamesViewerAndSession() {
        #expect(SessionEntity.metadata(for: .start(viewer: viewer, region: "", language: "", device: "", network: "", at: at(0))) == EventMetadata(actorID: viewer))
        #expect(SessionEntity.metadata(for: .like(video: clip, at: at(1)), state: live) == EventMetadata(correlationID: session, actorID: viewer))
        #expect(SessionEntity.metadata(for: .start(viewer: viewer, region: "", language: "", device: "", network: "", at: at(0)),
                                       state: given(SessionEntity.self, id: session, [])) == EventMetadata(correlationID: session, actorID: viewer))
    }

    @Test func stateCodecRoundTrip() throws {
        try expectCodecRoundTrip(SessionEntity.self, given(SessionEntity.self, id: session, []))
        let busy = given(SessionEntity.self, id: session, started + [
            .feedServed(FeedServed(session: session, viewer: viewer, feed: 0, viewsPosition: 1, seed: 2, modelVersion: 3, build: "b",
                                   items: [FeedItem(video: 10, source: "x", score: 1)], occurredAt: at(1))),
            watched(clip, 4_000), commented(5),
            .skipped(VideoSkipped(viewer: viewer, video: 20, session: session, watchedMillis: 100, durationMillis: 10_000, occurredAt: at(1))),
            .sessionEnded(SessionEnded(session: session, viewer: viewer, occurredAt: at(2))),
        ])
        try expectCodecRoundTrip(SessionEntity.self, busy)
    }
}
