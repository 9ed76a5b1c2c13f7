import Foundation
import ReelDomain
import ReelJournal
import ReelRecommend
import Testing

/// A small world folded into a model: videos with one hashtag each, and viewers' watches of them.
struct FoldedWorld {
    let model = RecommenderModel()
    private var clock = Timestamp(seconds: 1_767_225_600)

    mutating func at() -> Timestamp {
        clock = clock.adding(microseconds: 1_000_000)
        return clock
    }

    mutating func publish(_ video: UInt64, hashtag: String) {
        model.apply(
            .uploadCompleted(
                UploadCompleted(
                    video: video, creator: 100 + video, caption: "clip", hashtags: [hashtag], sound: 0, source: 0,
                    sourceKind: "", blob: "", occurredAt: at())))
        model.apply(
            .processingSucceeded(
                ProcessingSucceeded(video: video, durationMillis: 20_000, renditions: [], sound: 0, occurredAt: at())))
        model.apply(.published(VideoPublished(video: video, occurredAt: at())))
    }

    /// One session in which `viewer` watches each video for the given fraction (below 0.2: a skip).
    mutating func session(_ id: UInt64, viewer: UInt64, watches: [(video: UInt64, fraction: Double)]) {
        model.apply(
            .sessionStarted(
                SessionStarted(
                    session: id, viewer: viewer, region: "US", language: "en", device: "phone", network: "wifi",
                    occurredAt: at())))
        for (video, fraction) in watches {
            let millis = UInt64(fraction * 20_000)
            if fraction < 0.2 {
                model.apply(
                    .skipped(
                        VideoSkipped(
                            viewer: viewer, video: video, session: id, watchedMillis: millis, durationMillis: 20_000,
                            occurredAt: at())))
            } else {
                model.apply(
                    .watched(
                        VideoWatched(
                            viewer: viewer, video: video, session: id, watchMillis: millis, durationMillis: 20_000,
                            loops: 0, completed: fraction >= 1, occurredAt: at())))
            }
        }
        model.apply(.sessionEnded(SessionEnded(session: id, viewer: viewer, occurredAt: at())))
    }
}

@Suite struct TagEvidenceTests {
    /// The fold keeps, per viewer and hashtag, what they watched of it; the feature a new video of a hashtag
    /// gets says so from the first impressions on, and the evidence survives the model's round trip.
    @Test func evidenceFollowsWatchesAndSurvivesSerialisation() throws {
        var w = FoldedWorld()
        for v: UInt64 in 1...6 { w.publish(v, hashtag: v <= 3 ? "cats" : "cars") }
        w.publish(7, hashtag: "cats")
        w.publish(8, hashtag: "cars")
        w.session(1_001, viewer: 1, watches: [(1, 1.0), (4, 0.05), (2, 0.9), (5, 0.1), (3, 1.0), (6, 0.02)])
        let user = try #require(w.model.users[1])
        let cats = try #require(w.model.videos[7]?.tags.first)
        let cars = try #require(w.model.videos[8]?.tags.first)
        let catEvidence = try #require(user.tags[cats])
        let carEvidence = try #require(user.tags[cars])
        #expect(catEvidence.impressions == 3 && carEvidence.impressions == 3)
        #expect(catEvidence.fit > 0.7 && carEvidence.fit < 0.2, "cats \(catEvidence.fit), cars \(carEvidence.fit)")

        let catVideo = try #require(w.model.videos[7])
        let carVideo = try #require(w.model.videos[8])
        let forCat = RankingFeatures.affinity(model: w.model, viewer: 1, session: 0, video: 7, facts: catVideo, at: 0)
        let forCar = RankingFeatures.affinity(model: w.model, viewer: 1, session: 0, video: 8, facts: carVideo, at: 0)
        #expect(forCat.tagFit > forCar.tagFit + 0.5 && forCat.tagEvidence == 3)
        // A viewer never shown either hashtag starts both at the prior.
        let stranger = RankingFeatures.affinity(
            model: w.model, viewer: 99, session: 0, video: 7, facts: catVideo, at: 0)
        #expect(stranger.tagFit == TagEvidence.prior && stranger.tagEvidence == 0)

        let bytes = w.model.serialized()
        let copy = try bytes.withUnsafeBytes { try RecommenderModel.deserialize($0) }
        #expect(copy.users[1]?.tags == user.tags)
        #expect(copy.serialized() == bytes)
    }

    /// A viewer shown more hashtags than are kept forgets the least seen first, the same way in every replay.
    @Test func evidenceIsBoundedLeastSeenFirst() throws {
        var w = FoldedWorld()
        let count = RecommenderModel.tagsKeptPerViewer + 6
        for v in 1...UInt64(count) { w.publish(v, hashtag: "tag\(v)") }
        // The first hashtag is watched twice, every other once.
        w.session(1, viewer: 1, watches: [(1, 1.0)] + (1...UInt64(count)).map { ($0, 0.5) })
        let user = try #require(w.model.users[1])
        #expect(user.tags.count == RecommenderModel.tagsKeptPerViewer)
        let first = try #require(w.model.videos[1]?.tags.first)
        #expect(user.tags[first]?.impressions == 2)
    }

    /// The candidate source that follows the viewer's hashtags names videos of the hashtag they stay for.
    @Test func interestTagsSourceFollowsTheHashtagTheViewerStaysFor() throws {
        var w = FoldedWorld()
        for v: UInt64 in 1...40 { w.publish(v, hashtag: v % 2 == 0 ? "cats" : "cars") }
        w.session(1_001, viewer: 1, watches: [(2, 1.0), (1, 0.05), (4, 1.0), (3, 0.05)])
        var settings = FeedPipeline.Settings()
        settings.interestTags = 1
        settings.perInterestTag = 10
        let cats = try #require(w.model.videos[2]?.tags.first)
        let named = FeedPipeline.interestTagCandidates(model: w.model, viewer: 1, seed: 7, settings: settings) { _ in
            true
        }
        #expect(!named.isEmpty)
        let ofCats = named.filter { w.model.videos[$0]?.tags.first == cats }.count
        #expect(ofCats == named.count, "\(ofCats) of \(named.count) are cats")
        // The hashtag's leaders (what viewers watched most of) come before its nearest videos.
        #expect(Set(named.prefix(2)) == [2, 4], "\(named.prefix(4))")
    }
}

@Suite struct ExplorationRetirementTests {
    /// A new video stops being explored once even an optimistic reading of its lift is below the line, and
    /// not before it has had a few plays.
    @Test func retiresOnlyWhatCannotStillBeGood() {
        let settings = FeedPipeline.Settings()
        func video(plays: UInt32, meanLift: Float) -> VideoFacts {
            var f = VideoFacts()
            f.plays = plays
            f.lifted = plays
            f.liftSum = Float(plays) * meanLift
            return f
        }
        #expect(FeedPipeline.stillExploring(VideoFacts(), settings))
        #expect(FeedPipeline.stillExploring(video(plays: 2, meanLift: -0.3), settings))
        #expect(!FeedPipeline.stillExploring(video(plays: 12, meanLift: -0.15), settings))
        #expect(FeedPipeline.stillExploring(video(plays: 12, meanLift: 0.15), settings))
        // More plays, tighter reading: a middling lift survives a few plays but not forty.
        let middling = Float(settings.exploreRetireBelowLift) - 0.05
        #expect(FeedPipeline.stillExploring(video(plays: 4, meanLift: middling), settings))
        #expect(!FeedPipeline.stillExploring(video(plays: 40, meanLift: middling), settings))
    }
}
