import Foundation
import Reel
import ReelJournal
import ReelWorkloads
import Testing

@testable import ReelSimulation

@Suite struct EvaluationTests {
    typealias I = OfflineEvaluation.Interaction

    @Test func aucByHand() {
        #expect(OfflineEvaluation.auc([(0.35, true), (0.8, true), (0.1, false), (0.4, false)]) == 0.75)
        #expect(OfflineEvaluation.auc([(0.5, true), (0.5, false)]) == 0.5)
        #expect(OfflineEvaluation.auc([(0.9, true), (0.1, false)]) == 1)
        #expect(OfflineEvaluation.auc([(0.9, true)]) == 0.5)
    }

    /// Everyone ends on the video everyone watches: popular finds it first; random almost never does.
    @Test func rankersAreMeasuredOnTheWholeCatalogue() {
        var interactions: [I] = []
        var t: Int64 = 1_000
        let published = Dictionary(uniqueKeysWithValues: (1...200).map { (UInt64($0), Int64(0)) })
        for user in UInt64(1)...30 {
            for k in 0..<6 {
                // Video 1 is everyone's last positive; the others are spread out.
                let video = k == 5 ? 1 : 2 + (user * 7 + UInt64(k) * 13) % 199
                interactions.append(I(user: user, video: video, time: t, completed: true, liked: false, watched: true))
                t += 1_000
            }
        }
        // Warm-up: video 1 is popular before anyone's target moment.
        let warm = (UInt64(100)...130).map { I(user: $0, video: 1, time: 500, completed: false, liked: false, watched: true) }
        let report = OfflineEvaluation.run(interactions: warm + interactions, published: published)
        #expect(report.users == 30)
        let m = Dictionary(uniqueKeysWithValues: report.rankers.map { ($0.0, $0.1) })
        #expect(m["popular"]!.recallAt10.value == 1 && m["popular"]!.ndcgAt10.value == 1)
        #expect(m["popular"]!.ndcgAt10.low == 1, "every resample of users all ranking it first")
        #expect(m["random"]!.recallAt10.value < 0.3)
        #expect(report.auc.first { $0.0 == "completion" } != nil)
        // Deterministic.
        let again = OfflineEvaluation.run(interactions: warm + interactions, published: published)
        #expect(again.rankers.map(\.1.ndcgAt10) == report.rankers.map(\.1.ndcgAt10))
    }

    /// Each baseline's scores worked out by hand on a toy.
    @Test func baselinesByHand() {
        let day: Int64 = 86_400_000
        func play(_ user: UInt64, _ video: UInt64, _ time: Int64) -> I { I(user: user, video: video, time: time, completed: false, liked: false, watched: true) }
        let popular = PopularRanker(), recent = RecentPopularRanker(), knn = ItemKNNRanker()
        // Video 1 played three times on day 0, video 2 twice on day 8; users 1-3 co-engage as below.
        let log = [play(1, 1, 0), play(2, 1, 0), play(3, 1, 0), play(1, 2, 8 * day), play(2, 2, 8 * day), play(2, 3, 8 * day), play(3, 3, 8 * day)]
        for e in log { for r in [popular, recent, knn] as [any OfflineEvaluation.Ranker] { r.learn(e) } }
        #expect(popular.scores([1, 2, 3, 4], user: 9, at: 8 * day) == [3, 2, 2, 0])
        // Seven days after day 0 has passed: video 1's plays are out of the window.
        #expect(recent.scores([1, 2, 3], user: 9, at: 8 * day + 1) == [0, 2, 2])
        // Counts n1 = 3, n2 = 2, n3 = 2; together 1&2: 2 (users 1, 2), 1&3: 2 (users 2, 3), 2&3: 1 (user 2).
        // A user who engaged with video 2 only (now n2 = 3): score(1) = 2/√(3·3), score(3) = 1/√(3·2).
        knn.learn(play(4, 2, 9 * day))
        let s = knn.scores([1, 3], user: 4, at: 9 * day)
        #expect(abs(s[0] - 2 / 3.0) < 1e-12 && abs(s[1] - 1 / 6.0.squareRoot()) < 1e-12)
        // A skip is not engagement.
        var skip = play(5, 1, 9 * day)
        skip.skipped = true
        knn.learn(skip)
        #expect(knn.scores([2], user: 5, at: 9 * day) == [0])
    }

    /// Ranks count ties half; NDCG and hit rate from ranks; the bootstrap interval brackets the mean and
    /// repeats for a seed.
    @Test func ranksMetricsAndIntervals() {
        #expect(OfflineEvaluation.rank(of: 0, in: [1, 2, 1, 0]) == 2.5)
        #expect(OfflineEvaluation.ndcg(1) == 1 && OfflineEvaluation.ndcg(3) == 0.5 && OfflineEvaluation.ndcg(11) == 0)
        let ranks: [Double] = [1, 11, 3, 40, 1, 2, 20, 7]
        let m = OfflineEvaluation.metrics(ranks: ranks, seed: 5)
        let expected = (1 + 0 + 0.5 + 0 + 1 + 1 / log2(3.0) + 0 + 1 / log2(8.0)) / 8
        #expect(abs(m.ndcgAt10.value - expected) < 1e-12)
        #expect(m.hitRateAt10.value == 5.0 / 8 && m.recallAt10 == m.hitRateAt10)
        #expect(m.ndcgAt10.low < m.ndcgAt10.value && m.ndcgAt10.value < m.ndcgAt10.high)
        #expect(m.ndcgAt10.low >= 0 && m.ndcgAt10.high <= 1)
        #expect(OfflineEvaluation.metrics(ranks: ranks, seed: 5).ndcgAt10 == m.ndcgAt10)
    }

    /// A rating imported as a watch and a like at one moment is judged at the watch: no ranker has learned
    /// any part of the target when it ranks.
    @Test func theTargetIsJudgedAtTheFirstEventOfItsPair() {
        var log: [I] = []
        for k in 0..<5 {
            log.append(I(user: 1, video: UInt64(10 + k), time: Int64(k) * 1000, completed: true, liked: false, watched: true))
            log.append(I(user: 1, video: UInt64(10 + k), time: Int64(k) * 1000, completed: false, liked: true, watched: false))
        }
        let split = OfflineEvaluation.split(interactions: log, published: [:])
        #expect(split.targets == [8], "the watch of video 14, not its like at index 9")
        // Four distinct positive videos are not enough, however many positive events they have.
        #expect(OfflineEvaluation.split(interactions: Array(log.prefix(8)), published: [:]).targets.isEmpty)
    }

    /// Imported interactions are read back from the journal in time order.
    @Test func importedInteractionsAreEvaluated() async throws {
        let dir = NSTemporaryDirectory() + "reel-eval-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var videos = "video_id,creator_id,duration_ms,tags,sound_id,caption,uploaded_at\n"
        for v in 1...20 { videos += "\(v),\(900 + v % 3),10000,tag\(v % 4),0,clip \(v),2026-01-01T00:00:00Z\n" }
        var rows = "user_id,video_id,timestamp,watch_ratio,liked\n"
        for u in 1...8 {
            for k in 0..<6 { rows += "\(u),\(k == 5 ? 1 : 2 + (u + k) % 19),\(1_767_300_000 + u * 100 + k * 10),1.0,0\n" }
        }
        try videos.write(toFile: "\(dir)/v.csv", atomically: true, encoding: .utf8)
        try rows.write(toFile: "\(dir)/i.csv", atomically: true, encoding: .utf8)
        let engine = try ReelEngine(configuration: ReelConfiguration(dataDirectory: "\(dir)/data"))
        let task = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
        _ = try await Importer(engine: engine).importVideos("\(dir)/v.csv")
        _ = try await Importer(engine: engine).importInteractions("\(dir)/i.csv")
        await engine.shutdown()
        try await task.value
        var config = try JournalConfiguration.sealing(directory: "\(dir)/data/journal", keys: "\(dir)/data/keys.sqlite")
        config.readOnly = true
        let journal = try Journal.open(config)
        let (interactions, published) = try OfflineEvaluation.load(journal)
        journal.close()
        #expect(interactions.filter(\.isEngagement).count == 48 && published.count == 20)
        #expect(
            interactions.filter { !$0.isEngagement }.count >= 60 + 8,
            "upload, processing, publication and session events feed the recommender's model")
        #expect(zip(interactions, interactions.dropFirst()).allSatisfy { $0.time <= $1.time })
        let report = OfflineEvaluation.run(interactions: interactions, published: published)
        #expect(report.users == 8)
        #expect(report.rankers.map(\.0) == ["reel", "reel.learned", "popular", "popular.7d", "itemKNN", "trending", "random"])
        #expect(report.json.rendered.contains("\"ndcgAt10\""))
        // The split for peers: every engagement but the targets and what followed them; one target per user.
        try OfflineEvaluation.split(interactions: interactions, published: published).export(to: "\(dir)/split")
        let targets = try String(contentsOfFile: "\(dir)/split/targets.csv", encoding: .utf8).split(separator: "\n")
        let train = try String(contentsOfFile: "\(dir)/split/train.csv", encoding: .utf8).split(separator: "\n")
        #expect(targets.count == 1 + 8 && train.count == 1 + 48 - 8)
        #expect(try String(contentsOfFile: "\(dir)/split/catalogue.csv", encoding: .utf8).split(separator: "\n").count == 21)
    }
}
