import Foundation
import ReelDomain
import ReelJournal
import Testing

@testable import ReelRecommend

@Suite struct CollaborativeModelTests {
    /// A planted low-rank world: 4 clusters of viewers and videos, every viewer engages only with videos of
    /// their own cluster, uniformly (so popularity says nothing). Held out: each viewer's last video. The
    /// learned embeddings must recover the clusters: held-out recall@10 far above popularity's.
    @Test func learnedEmbeddingsRecoverPlantedClusters() {
        let clusters = 4, perCluster = 40, viewers = 240, engagements = 16
        var model = CollaborativeModel()
        for v in 0..<(clusters * perCluster) { model.publish(UInt64(v + 1), features: [], at: 0) }
        var g = SplitMix64(seed: 11)
        var histories = [[UInt64]](repeating: [], count: viewers)
        for u in 0..<viewers {
            let c = u % clusters
            var picked = Set<UInt64>()
            while picked.count < engagements + 1 { picked.insert(UInt64(c * perCluster + g.below(perCluster) + 1)) }
            histories[u] = Array(picked).sorted { SplitMix64.mix(UInt64(u), $0) < SplitMix64.mix(UInt64(u), $1) }
        }
        // Round-robin in time, as a live log interleaves viewers; the last video of each is held out.
        var time: Int64 = 0
        var plays: [UInt64: Int] = [:]
        for k in 0..<engagements {
            for u in 0..<viewers {
                time += 1_000
                let video = histories[u][k]
                model.learn(viewer: UInt64(u + 1), video: video, weight: 1, at: time)
                model.played(video, at: time)
                plays[video, default: 0] += 1
            }
        }
        var learnedHits = 0, popularHits = 0
        for u in 0..<viewers {
            let seen = Set(histories[u].prefix(engagements))
            let target = histories[u][engagements]
            let candidates = (1...UInt64(clusters * perCluster)).filter { !seen.contains($0) }
            func hit(_ score: (UInt64) -> Double) -> Bool {
                let s = score(target)
                return candidates.filter { $0 != target && score($0) >= s }.count < 10
            }
            if hit({ Double(model.affinity(viewer: UInt64(u + 1), video: $0, at: time)!) }) { learnedHits += 1 }
            if hit({ Double(plays[$0] ?? 0) }) { popularHits += 1 }
        }
        let learned = Double(learnedHits) / Double(viewers), popular = Double(popularHits) / Double(viewers)
        // A perfect in-cluster model finds 10 of the 24 unseen cluster videos: recall 0.42; popularity ~ 0.07.
        #expect(learned >= 0.25, "learned recall@10 \(learned)")
        #expect(learned >= 3 * popular, "learned \(learned) against popularity \(popular)")
    }

    /// A video nobody has played yet has the vector its content features learned on other videos: viewers of
    /// a hashtag score a new video of that hashtag above a new video of another.
    @Test func contentIsThePriorOfANewVideo() {
        var model = CollaborativeModel()
        let cats: UInt64 = 0xCA75, food: UInt64 = 0xF00D
        for v in 1...40 { model.publish(UInt64(v), features: [v <= 20 ? cats : food], at: 0) }
        var time: Int64 = 0
        for round in 0..<12 {
            for u in 1...40 {
                time += 1_000
                let video = UInt64(u <= 20 ? 1 + (u + round) % 20 : 21 + (u + round) % 20)
                model.learn(viewer: UInt64(u), video: video, weight: 1, at: time)
            }
        }
        model.publish(100, features: [cats], at: time)
        model.publish(101, features: [food], at: time)
        var agree = 0
        for u in 1...40 {
            let a = model.affinity(viewer: UInt64(u), video: 100, at: time)!, b = model.affinity(viewer: UInt64(u), video: 101, at: time)!
            if (u <= 20) == (a > b) { agree += 1 }
        }
        #expect(agree >= 36, "\(agree) of 40 viewers prefer the new video of their hashtag")
    }

    /// Recent engagement counts: of two videos with equal all-time plays, the one played lately scores higher
    /// once the model has learned that recency predicts choice.
    @Test func popularityWeightsAreLearned() {
        var model = CollaborativeModel()
        for v in 1...50 { model.publish(UInt64(v), features: [], at: 0) }
        var time: Int64 = 0
        var g = SplitMix64(seed: 3)
        // Viewers choose among the five most recent "releases", which move on every day.
        for day in 0..<20 {
            for _ in 0..<200 {
                time += 86_400_000 / 200
                let video = UInt64(1 + (day * 2 + g.below(5)) % 50)
                let viewer = UInt64(1 + g.below(10_000))
                model.learn(viewer: viewer, video: video, weight: 1, at: time)
                model.played(video, at: time)
            }
        }
        #expect(model.weights[0] > 0, "the one-day popularity weight \(model.weights)")
        // A viewer never seen: the current releases above the old ones.
        let current = model.affinity(viewer: 999_999, video: UInt64(1 + (19 * 2 + 2) % 50), at: time)!
        let old = model.affinity(viewer: 999_999, video: UInt64(1 + (5 * 2 + 2) % 50), at: time)!
        #expect(current > old)
    }

    /// The persisted form round-trips to the same bytes, erasure forgets the viewer, and taken-down videos
    /// are no longer drawn as negatives.
    @Test func serialisationErasureAndTakeDown() throws {
        var model = CollaborativeModel()
        for v in 1...30 { model.publish(UInt64(v), features: [UInt64(v % 3)], at: 0) }
        for i in 0..<300 { model.learn(viewer: UInt64(i % 7 + 1), video: UInt64(i % 30 + 1), weight: i % 5 == 0 ? -1 : 1, at: Int64(i) * 1000) }
        model.takeDown(5)
        #expect(!model.live.contains(model.itemSlot[5]!))
        #expect(model.live.count == 29)
        model.erase(viewer: 3)
        #expect(model.context(of: 3).isEmpty)
        var w = ByteWriter()
        model.serialize(into: &w)
        let bytes = w.bytes
        let back = try bytes.withUnsafeBytes { raw in
            var r = RawReader(bytes: raw, offset: 0)
            return try CollaborativeModel.deserialize(&r)
        }
        var again = ByteWriter()
        back.serialize(into: &again)
        #expect(again.bytes == bytes)
        #expect(back.affinity(viewer: 1, video: 7, at: 400_000) == model.affinity(viewer: 1, video: 7, at: 400_000))
        // Truncated bytes are an error, never a crash.
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 50)) {
            let prefix = Array(bytes.prefix(cut))
            #expect(throws: ModelFileError.self) {
                try prefix.withUnsafeBytes { raw in
                    var r = RawReader(bytes: raw, offset: 0)
                    _ = try CollaborativeModel.deserialize(&r)
                }
            }
        }
    }
}
