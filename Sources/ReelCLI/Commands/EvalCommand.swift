import ArgumentParser
import Foundation
import ReelSimulation

/// `reel eval`: offline evaluation of recorded (imported) interactions, read-only.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Time-ordered leave-last-out over the whole catalogue: NDCG@10, HR@10 and Recall@10 with 95 % intervals, reel beside baselines.")
    @OptionGroup var data: DataDirectoryOptions
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Also write the split (train.csv, targets.csv, catalogue.csv) to this directory, for peers outside Reel (Benchmarks/peers).")
    var exportSplit: String?

    func run() throws {
        let journal = try data.openForReading()
        let (interactions, published) = try OfflineEvaluation.load(journal)
        journal.close()
        if let exportSplit {
            do { try OfflineEvaluation.split(interactions: interactions, published: published).export(to: exportSplit) } catch {
                throw CLIError("cannot write the split to \(exportSplit): \(error)")
            }
        }
        let report = OfflineEvaluation.run(interactions: interactions, published: published)
        print(json ? report.json.rendered : report.table)
    }
}
