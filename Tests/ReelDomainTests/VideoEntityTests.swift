import ReelDomain
import ReelJournal
import ReelRuntime
import Testing

@Suite struct VideoEntityTests {
    let video: UInt64 = 10
    let creator: UInt64 = 2
    let lookup = StaticLookup(users: [2], videos: [
        50: VideoInfo(status: .published, creator: 3, durationMillis: 9_000),
        51: VideoInfo(status: .ready, creator: 3, durationMillis: 9_000),
    ])

    var uploading: [ReelEvent] { [.uploadStarted(UploadStarted(video: video, creator: creator, byteSize: 1_000, occurredAt: at(0)))] }
    var processing: [ReelEvent] {
        uploading + [.uploadCompleted(UploadCompleted(video: video, creator: creator, caption: "hi", hashtags: ["cats"], sound: 7, source: 0, sourceKind: "", blob: "b/10", occurredAt: at(1)))]
    }
    var ready: [ReelEvent] { processing + [.processingSucceeded(ProcessingSucceeded(video: video, durationMillis: 15_000, renditions: ["360p", "720p"], sound: 8, occurredAt: at(2)))] }
    var published: [ReelEvent] { ready + [.published(VideoPublished(video: video, occurredAt: at(3)))] }

    func state(_ events: [ReelEvent]) -> VideoEntity.State { given(VideoEntity.self, id: video, events) }
    func decide(_ c: VideoEntity.Command, _ events: [ReelEvent]) throws -> [ReelEvent] {
        try VideoEntity.decide(c, state: state(events), context: lookup)
    }
    @discardableResult
    func reject(_ code: String, _ c: VideoEntity.Command, _ events: [ReelEvent], sourceLocation: SourceLocation = #_sourceLocation) -> CommandRejected? {
        expectRejected(code, VideoEntity.self, c, state: state(events), context: lookup, sourceLocation: sourceLocation)
    }
    func complete(caption: String = "hi", hashtags: [String] = ["cats"], source: UInt64 = 0, sourceKind: String = "", blob: String = "b/10") -> VideoEntity.Command {
        .completeUpload(caption: caption, hashtags: hashtags, sound: 7, source: source, sourceKind: sourceKind, blob: blob, at: at(1))
    }

    @Test func happyPathThroughTheLifecycle() throws {
        #expect(try decide(.startUpload(creator: creator, byteSize: 1_000, at: at(0)), []) == uploading)
        #expect(state(uploading).status == .uploading && state(uploading).creator == creator)
        #expect(try decide(complete(), uploading) == Array(processing.dropFirst()))
        #expect(state(processing).status == .processing && state(processing).caption == "hi" && state(processing).hashtags == ["cats"])
        #expect(try decide(.processingSucceeded(durationMillis: 15_000, renditions: ["360p", "720p"], sound: 8, at: at(2)), processing) == Array(ready.dropFirst(2)))
        let r = state(ready)
        #expect(r.status == .ready && r.durationMillis == 15_000 && r.renditions == ["360p", "720p"] && r.sound == 8)
        #expect(try decide(.publish(at: at(3)), ready) == [.published(VideoPublished(video: video, occurredAt: at(3)))])
        #expect(state(published).status == .published)
        #expect(try decide(.remove(reason: "creator", at: at(4)), published) == [.removed(VideoRemoved(video: video, reason: "creator", occurredAt: at(4)))])
        let removed = state(published + [.removed(VideoRemoved(video: video, reason: "creator", occurredAt: at(4)))])
        #expect(removed.status == .removed && removed.reason == "creator")
        #expect(VideoEntity.info(removed) == VideoInfo(status: .removed, creator: creator, durationMillis: 15_000, sound: 8, hashtags: ["cats"]))
        #expect(VideoEntity.info(state([])) == nil)
    }

    @Test func processingSoundZeroKeepsTheUploadsSound() {
        let s = state(processing + [.processingSucceeded(ProcessingSucceeded(video: video, durationMillis: 1_000, renditions: [], sound: 0, occurredAt: at(2)))])
        #expect(s.sound == 7)
    }

    @Test func rejectAndFail() throws {
        #expect(try decide(.reject(reason: "nudity", at: at(2)), processing) == [.rejected(VideoRejected(video: video, reason: "nudity", occurredAt: at(2)))])
        #expect(try decide(.reject(reason: "nudity", at: at(2)), ready).count == 1)
        #expect(try decide(.processingFailed(reason: "bad container", at: at(2)), processing)
            == [.processingFailed(ProcessingFailed(video: video, reason: "bad container", occurredAt: at(2)))])
        let failed = state(processing + [.processingFailed(ProcessingFailed(video: video, reason: "bad container", occurredAt: at(2)))])
        #expect(failed.status == .failed && failed.reason == "bad container")
        let rejected = state(ready + [.rejected(VideoRejected(video: video, reason: "nudity", occurredAt: at(2)))])
        #expect(rejected.status == .rejected && rejected.reason == "nudity")
    }

    @Test func transitionsOnlyInOrder() {
        let r = reject("invalidTransition", .publish(at: at(2)), processing)
        #expect(r?.message.contains("from processing to published") == true)
        reject("invalidTransition", .startUpload(creator: creator, byteSize: 1, at: at(1)), uploading)
        reject("invalidTransition", complete(), processing)
        reject("invalidTransition", complete(), [])
        reject("invalidTransition", .processingSucceeded(durationMillis: 1_000, renditions: [], sound: 0, at: at(2)), uploading)
        reject("invalidTransition", .processingFailed(reason: "x", at: at(2)), ready)
        reject("invalidTransition", .publish(at: at(4)), published)
        reject("invalidTransition", .reject(reason: "x", at: at(4)), published)
        reject("invalidTransition", .reject(reason: "x", at: at(4)), uploading)
        // Removal takes down a video in any stage before it was taken down (an erased creator's uploads too).
        let removed = published + [.removed(VideoRemoved(video: video, reason: "x", occurredAt: at(5)))]
        reject("invalidTransition", .remove(reason: "again", at: at(6)), removed)
        let failed = processing + [.processingFailed(ProcessingFailed(video: video, reason: "x", occurredAt: at(2)))]
        reject("invalidTransition", .publish(at: at(4)), failed)
        reject("invalidTransition", .remove(reason: "x", at: at(4)), failed)
    }

    @Test func creatorMustExist() {
        let r = reject("unknownCreator", .startUpload(creator: 99, byteSize: 1, at: at(0)), [])
        #expect(r?.message.contains("catalogue view") == true)
    }

    @Test func metadataLimits() throws {
        #expect(try decide(complete(caption: String(repeating: "a", count: 2_200), hashtags: (0..<30).map { "t\($0)" }), uploading).count == 1)
        #expect(try decide(complete(hashtags: [String(repeating: "é", count: 100)]), uploading).count == 1)
        reject("invalidMetadata", complete(caption: String(repeating: "a", count: 2_201)), uploading)
        reject("invalidMetadata", complete(hashtags: (0..<31).map { "t\($0)" }), uploading)
        for tag in ["", "#cats", "Cats", "two words", String(repeating: "a", count: 101)] {
            reject("invalidMetadata", complete(hashtags: [tag]), uploading)
        }
        reject("invalidMetadata", complete(blob: ""), uploading)
    }

    @Test func durationLimits() throws {
        #expect(try decide(.processingSucceeded(durationMillis: 600_000, renditions: [], sound: 0, at: at(2)), processing).count == 1)
        reject("tooLong", .processingSucceeded(durationMillis: 600_001, renditions: [], sound: 0, at: at(2)), processing)
        reject("invalidMetadata", .processingSucceeded(durationMillis: 0, renditions: [], sound: 0, at: at(2)), processing)
    }

    @Test func duetAndStitchSources() throws {
        let duet = try decide(complete(source: 50, sourceKind: "duet"), uploading)
        #expect(duet.count == 1)
        #expect(try decide(complete(source: 50, sourceKind: "stitch"), uploading).count == 1)
        let r = reject("invalidSource", complete(source: 51, sourceKind: "duet"), uploading)
        #expect(r?.message.contains("catalogue view") == true)
        reject("invalidSource", complete(source: 99, sourceKind: "duet"), uploading)
        reject("invalidMetadata", complete(source: 50, sourceKind: "remix"), uploading)
        reject("invalidMetadata", complete(source: 50, sourceKind: ""), uploading)
        reject("invalidMetadata", complete(source: 0, sourceKind: "duet"), uploading)
        let s = state(uploading + duet)
        #expect(s.source == 50 && s.sourceKind == "duet")
    }

    @Test func evolveIgnoresOtherKindsOfEvents() {
        let other = state(published + [
            .liked(VideoLiked(viewer: 1, video: video, session: 5, creator: creator, occurredAt: at(5))),
            .userErased(UserErased(user: creator, occurredAt: at(5))),
        ])
        #expect(other == state(published))
    }

    @Test func metadataNamesTheCreatorForUploads() {
        #expect(VideoEntity.metadata(for: .startUpload(creator: creator, byteSize: 1, at: at(0))) == EventMetadata(actorID: creator))
        #expect(VideoEntity.metadata(for: complete(), state: state(uploading)) == EventMetadata(actorID: creator))
        #expect(VideoEntity.metadata(for: .publish(at: at(3)), state: state(ready)) == EventMetadata())
    }

    @Test func statusCodec() throws {
        for status in VideoStatus.allCases {
            var w = ByteWriter()
            w.put(status)
            let back = try w.bytes.withBytes { (raw) throws(JournalError) in
                var r = ByteReader(raw)
                return try r.get(VideoStatus.self)
            }
            #expect(back == status)
        }
        #expect(throws: JournalError.self) {
            try [UInt8(8)].withBytes { (raw) throws(JournalError) in
                var r = ByteReader(raw)
                return try r.get(VideoStatus.self)
            }
        }
    }

    @Test func stateCodecRoundTrip() throws {
        try expectCodecRoundTrip(VideoEntity.self, state([]))
        try expectCodecRoundTrip(VideoEntity.self, state(published))
        try expectCodecRoundTrip(VideoEntity.self, state(processing + [.processingFailed(ProcessingFailed(video: video, reason: "x", occurredAt: at(2)))]))
    }
}
