import ReelDomain
import ReelJournal
import Testing

@testable import ReelViews

/// Interest and trending read a video's creator, sound and hashtags through a derived cache: a change the
/// catalogue makes to the video must reach them.
@Suite struct ViewFeatureKeysTests {
    @Test func aSoundLearnedAtProcessingReachesTrendingAndInterest() {
        let state = ViewState(search: nil)
        var clock = Timestamp(seconds: 1_767_225_600)
        func at() -> Timestamp {
            clock = clock.adding(microseconds: 1_000_000)
            return clock
        }
        func watch() {
            state.apply(
                .watched(
                    VideoWatched(
                        viewer: 2, video: 1, session: 9, watchMillis: 20_000, durationMillis: 20_000, loops: 0,
                        completed: true, occurredAt: at())))
        }
        state.apply(
            .uploadCompleted(
                UploadCompleted(
                    video: 1, creator: 5, caption: "clip", hashtags: ["cats"], sound: 0, source: 0, sourceKind: "",
                    blob: "", occurredAt: at())))
        state.apply(
            .sessionStarted(
                SessionStarted(
                    session: 9, viewer: 2, region: "US", language: "en", device: "phone", network: "wifi",
                    occurredAt: at())))
        watch()
        let soundKey = ViewKey.regional(ViewKey.region("US"), 77)
        let soundFeature = ViewKey.feature(.sound, 77)
        #expect(state.trendingSounds[soundKey] == nil)
        #expect(state.trendingHashtags[ViewKey.regional(ViewKey.region("US"), ViewKey.hashtag("cats"))] != nil)
        // Processing finds the sound: the next watch counts it.
        state.apply(
            .processingSucceeded(
                ProcessingSucceeded(video: 1, durationMillis: 20_000, renditions: [], sound: 77, occurredAt: at())))
        watch()
        #expect(state.trendingSounds[soundKey] != nil)
        #expect(state.longTermInterest[2]?.entries.contains { $0.feature == soundFeature } == true)
    }
}
