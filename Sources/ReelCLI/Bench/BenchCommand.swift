import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks (measure; they are commands, not tests).",
        subcommands: [JournalBench.self, ActorsBench.self, ViewsBench.self, MediaBench.self, HTTPBench.self, ANNBench.self, FeedBench.self])
}

struct JournalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "Append, replay, stream-read and reopen the journal; compare with SQLite.")
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Events in the batched run, the SQLite run and the replay.") var events: Int = 5_000_000
    @Option(help: "Events in the single-append run.") var singleEvents: Int = 2_000_000
    @Option(help: "Size of the journal killed and reopened (bytes).") var reopenBytes: Int = 1 << 30
    @Option(help: "Scratch directory (default: a new one under /tmp).") var scratch: String?
    @Flag(help: "Skip the 1 GiB reopen measurement.") var skipReopen = false

    func run() async throws {
        let result = try await JournalBenchmark(options: self).run()
        print(json ? result.rendered : result.rendered)
    }
}
