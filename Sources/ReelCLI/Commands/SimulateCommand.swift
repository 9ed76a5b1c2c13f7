import ArgumentParser
import Foundation
import ReelSimulation

/// `reel simulate`: the policies through the same simulated worlds (see Docs/Workloads.md, decision 0007).
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Run the recommender and baseline policies through a simulated world with hidden tastes.")
    @Flag(help: "Print the report as JSON (progress goes to standard error).") var json = false
    @Option(help: "Worlds to run (seeds 1...N).") var seeds: Int = 5
    @Option(help: "Viewers per world.") var viewers: Int = 2000
    @Option(help: "Comma-separated policies (reel, random, popular, followOnly, oracle; also reelInterest, the first fixed-weight scorer).") var policies: String = Simulation.policyNames.joined(separator: ",")
    @Option(help: "The KuaiRand-Pure video CSV (default: the copy in Data/kuairand-pure/).") var catalogue: String?
    @Option(help: "Scratch directory for the reel policy's data.") var scratch: String = NSTemporaryDirectory() + "reel-simulate"
    @Option(help: "Instead of comparing policies, write seed 1's catalogue and random-exposure interactions as CSV (for reel import and reel eval) into this directory.")
    var exportRandomExposure: String?

    func validate() throws {
        guard (1...100).contains(seeds) else { throw ValidationError("--seeds must be 1...100") }
        guard (1...1_000_000).contains(viewers) else { throw ValidationError("--viewers must be 1...1000000") }
    }

    func run() async throws {
        guard let path = catalogue ?? Catalogue.defaultPath() else {
            throw CLIError("no catalogue: pass --catalogue PATH to video_features_basic_pure.csv")
        }
        let names = policies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for n in names where !(Simulation.policyNames + Simulation.extraPolicyNames).contains(n) {
            throw CLIError("unknown policy \"\(n)\": use \((Simulation.policyNames + Simulation.extraPolicyNames).joined(separator: ", "))")
        }
        let simulation = Simulation(catalogue: try Catalogue.load(kuaiRandCSV: path), seeds: seeds, viewers: viewers, policies: names, scratch: scratch)
        if let directory = exportRandomExposure {
            try await simulation.exportRandomExposure(to: directory)
            print("wrote \(directory)/videos.csv and \(directory)/interactions.csv (import them with reel import videos|interactions)")
            return
        }
        let report = try await simulation.run { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        if json {
            print(report.json.rendered)
        } else {
            for name in Simulation.policyNames + Simulation.extraPolicyNames where report.runs[name] != nil {
                let s = report.summary(name)
                print(name.padding(toLength: 11, withPad: " ", startingAt: 0), PolicyMetrics.names.map { "\($0) \(String(format: "%.3f", s[$0]!.mean))" }.joined(separator: "  "))
            }
            if let g = report.normalizedGain { print("normalizedGain \(String(format: "%.3f", g))") }
        }
    }
}
