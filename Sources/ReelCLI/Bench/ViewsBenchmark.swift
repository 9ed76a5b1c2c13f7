import ArgumentParser
import Foundation
import Reel
import ReelDomain
import ReelJournal
import ReelRuntime
import ReelViews
import ReelWorkloads

struct ViewsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "views", abstract: "Rebuild every view from zero on the simulated event mix; per-key time travel.")
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Session events after the catalogue.") var events: Int = 2_000_000
    @Option(help: "Per-key time-travel queries to time.") var queries: Int = 300
    @Option(help: "Scratch directory (default: a new one under /tmp).") var scratch: String?
    @Flag(help: "Keep the scratch directory (a data directory) afterwards.") var keep = false
    @Option(help: "Checkpoint the on-disk rebuild after this many events (the engine's default).")
    var checkpointEvents: UInt64 = UInt64(ReelConfiguration().views.checkpointEvents)
    @Option(help: "Write a complete checkpoint when the rows since the last one exceed this multiple of the state (the engine's default).")
    var completeFactor: Int = ReelConfiguration().views.completeCheckpointFactor
    @Flag(help: "Only time travel, on a scratch directory kept by an earlier run (with --keep).") var timeTravelOnly = false

    func run() async throws {
        if timeTravelOnly { return try timeTravelAlone() }
        let scratch = try makeScratch(scratch)
        defer { if !keep { try? FileManager.default.removeItem(atPath: scratch) } }
        var config = try JournalConfiguration.sealing(directory: "\(scratch)/journal", keys: "\(scratch)/keys.sqlite")
        config.durability = .noSyncUnsafe
        let journal = try Journal.open(config)
        let workload = DomainWorkload()
        log("writing the catalogue and \(events) session events")
        try await workload.write(to: journal, sessionEvents: events)
        let total = journal.nextPosition

        // In memory: the fold alone.
        log("rebuilding \(total) events in memory")
        let memory = try ViewStore(path: nil)
        var start = monotonicSeconds()
        try ProjectionRunner(journal: journal, projection: memory, policy: Self.noCheckpoints).catchUp()
        let memorySeconds = monotonicSeconds() - start

        // On disk, checkpointing as a live store does (so time travel has its history).
        log("rebuilding \(total) events into views.sqlite with checkpoints")
        let path = "\(scratch)/views.sqlite"
        let disk = try ViewStore(path: path, completeFactor: completeFactor)
        start = monotonicSeconds()
        var policy = ProjectionRunner<ViewStore>.Policy()
        policy.checkpointEvents = checkpointEvents
        let runner = ProjectionRunner(journal: journal, projection: disk, policy: policy)
        try runner.catchUp()
        try runner.checkpoint()
        let diskSeconds = monotonicSeconds() - start
        let identical = try memory.canonicalBytes() == disk.canonicalBytes()
        // What a restart pays: the newest complete checkpoint and the ones after it, loaded.
        start = monotonicSeconds()
        let reopened = try ViewStore(path: path, completeFactor: completeFactor)
        let reopenSeconds = monotonicSeconds() - start
        guard reopened.nextPosition == disk.nextPosition else { throw ValidationError("the reopened store is at \(reopened.nextPosition), not \(disk.nextPosition)") }

        let latencies = try timeTravelLatencies(journal: journal, storePath: path, workload: workload)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print(
            JSONValue.object([
                ("events", .uint(total)),
                ("checkpointEvents", .uint(checkpointEvents)), ("completeFactor", .int(Int64(completeFactor))),
                ("projectionEventsPerSecond", .double(Double(total) / diskSeconds)),
                ("projectionEventsPerSecondInMemory", .double(Double(total) / memorySeconds)),
                ("onDiskSeconds", .double(diskSeconds)),
                ("checkpointSeconds", .double(disk.checkpointSeconds)), ("checkpointWriteSeconds", .double(disk.checkpointWriteSeconds)),
                ("reopenSeconds", .double(reopenSeconds)),
                ("rebuiltEqualsInMemory", .bool(identical)),
                ("viewStoreBytes", .int(Int64(bytes))),
            ] + Self.timeTravelFields(latencies)).rendered)
    }

    /// Per-key queries over five tables at random positions, one at a time.
    func timeTravelLatencies(journal: Journal, storePath: String, workload: DomainWorkload) throws -> [(table: String, millis: Double)] {
        log("\(queries) per-key time-travel queries")
        let travel = ViewTimeTravel(journal: journal, storePath: storePath)
        var g = SplitMix64(seed: 11)
        var latencies: [(table: String, millis: Double)] = []
        let tables = ["counters.video", "interest.longTerm", "counters.person", "social.followers", "seen"]
        for i in 0..<queries {
            let table = tables[i % tables.count]
            let key =
                table == "counters.video"
                ? 1 + g.next() % 50 : 1 + g.next() % UInt64(table == "social.followers" ? workload.creators : workload.users)
            let position = g.next() % journal.nextPosition
            let t = monotonicSeconds()
            _ = try travel.value(table: table, key: key, atPosition: position)
            latencies.append((table, (monotonicSeconds() - t) * 1000))
        }
        return latencies
    }

    private func timeTravelAlone() throws {
        guard let scratch else { throw ValidationError("--time-travel-only needs --scratch DIR from a run with --keep") }
        let journal = try Journal.open(try .sealing(directory: "\(scratch)/journal", keys: "\(scratch)/keys.sqlite"))
        let latencies = try timeTravelLatencies(journal: journal, storePath: "\(scratch)/views.sqlite", workload: DomainWorkload())
        print(JSONValue.object(Self.timeTravelFields(latencies)).rendered)
    }

    static func timeTravelFields(_ latencies: [(table: String, millis: Double)]) -> [(String, JSONValue)] {
        let byTable = Dictionary(grouping: latencies, by: \.table).sorted { $0.key < $1.key }
        return [
            ("perKeyTimeTravelP50Millis", .double(quantile(latencies.map(\.millis), 0.5))),
            ("perKeyTimeTravelP99Millis", .double(quantile(latencies.map(\.millis), 0.99))),
            ("perKeyTimeTravelP99MillisByTable", .object(byTable.map { ($0.key, .double(quantile($0.value.map(\.millis), 0.99))) })),
        ]
    }

    static var noCheckpoints: ProjectionRunner<ViewStore>.Policy {
        var p = ProjectionRunner<ViewStore>.Policy()
        p.checkpointEvents = .max
        p.checkpointInterval = .seconds(1_000_000)
        return p
    }
}
