import ArgumentParser
import Foundation
import ReelSimulation

/// `reel eval`: offline evaluation of recorded (imported) interactions, read-only.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Rank the whole catalogue at each user's last positive interaction: NDCG@10, recall@10, AUC.")
    @OptionGroup var data: DataDirectoryOptions
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let journal = try data.openForReading()
        let (interactions, published, catalogue) = try OfflineEvaluation.load(journal)
        journal.close()
        let report = OfflineEvaluation.run(interactions: interactions, published: published, catalogue: catalogue)
        if json {
            print(report.json.rendered)
        } else {
            print("users with at least 5 positives: \(report.users), interactions: \(report.interactions)")
            for (name, m) in report.rankers { print("\(name): ndcg@10 \(String(format: "%.4f", m.ndcgAt10)), recall@10 \(String(format: "%.4f", m.recallAt10))") }
            print("auc: " + report.auc.map { "\($0.0) \(String(format: "%.4f", $0.1))" }.joined(separator: ", "))
        }
    }
}
