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
        #expect(m["popular"]!.recallAt10 == 1 && m["popular"]!.ndcgAt10 == 1)
        #expect(m["random"]!.recallAt10 < 0.3)
        #expect(report.auc.first { $0.0 == "completion" } != nil)
        // Deterministic.
        let again = OfflineEvaluation.run(interactions: warm + interactions, published: published)
        #expect(again.rankers.map(\.1.ndcgAt10) == report.rankers.map(\.1.ndcgAt10))
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
        var config = JournalConfiguration(directory: "\(dir)/data/journal")
        config.readOnly = true
        let journal = try Journal.open(config)
        let (interactions, published, catalogue) = try OfflineEvaluation.load(journal)
        journal.close()
        #expect(interactions.count == 48 && published.count == 20)
        #expect(catalogue.count >= 40, "upload, processing and publication events feed the recommender's ranker")
        #expect(zip(interactions, interactions.dropFirst()).allSatisfy { $0.time <= $1.time })
        let report = OfflineEvaluation.run(interactions: interactions, published: published, catalogue: catalogue)
        #expect(report.users == 8)
        #expect(report.rankers.map(\.0) == ["reel", "trending", "random", "popular"])
        #expect(report.json.rendered.contains("\"ndcgAt10\""))
    }
}
