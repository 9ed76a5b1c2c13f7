import ArgumentParser
import Foundation
import ReelDomain
import ReelJournal
import ReelRuntime
import ReelWorkloads

struct ActorsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actors", abstract: "Commands through session actors; activation; resident memory.")
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Watch commands to send.") var commands: Int = 1_000_000
    @Option(help: "Concurrent clients.") var clients: Int = 512
    @Option(help: "Resident sessions for the memory measurement.") var resident: Int = 1_000_000
    @Option(help: "Activations to time.") var activations: Int = 5_000
    @Option(help: "Scratch directory (default: a new one under /tmp).") var scratch: String?
    @Flag(help: "Activate every session before timing commands (steady state: no first-command activations).") var warm = false

    func run() async throws {
        let scratch = try makeScratch(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let workload = WatchWorkload()
        let lookup = StaticLookup(users: Array(1...UInt64(workload.viewers)))
        for v in 1...UInt64(workload.videos) {
            lookup.setVideo(v, VideoInfo(status: .published, creator: 1 + v % 2000, durationMillis: workload.duration(ofVideo: v)))
        }
        let journal = try Journal.open(try .sealing(directory: "\(scratch)/journal", keys: "\(scratch)/keys.sqlite"))
        let snapshots = SnapshotWriter(store: try SnapshotStore(path: "\(scratch)/snapshots.sqlite"))
        // Sessions exist before the clients start: their SessionStarted events are written directly.
        log("starting \(workload.sessions) sessions")
        let t0 = workload.start
        var writes: [StreamWrite] = []
        for s in 1...UInt64(workload.sessions) {
            let e = ReelEvent.sessionStarted(SessionStarted(session: s, viewer: workload.viewer(ofSession: s), region: "US", language: "en", device: "phone", network: "wifi", occurredAt: t0))
            writes.append(StreamWrite(stream: .session(s), expected: .noStream, events: [e.newEvent(metadata: EventMetadata())]))
            if writes.count == 1000 {
                try await journal.append(writes)
                writes.removeAll()
            }
        }
        var policy = EntityPolicy()
        policy.snapshotEvery = 100
        let registry = EntityRegistry<SessionEntity>(journal: journal, snapshots: snapshots, context: lookup, policy: policy, upcast: EventCatalog.upcast)

        if warm {
            log("activating \(workload.sessions) sessions")
            try await eachIndex(workload.sessions, clients: clients) { i in _ = try await registry.state(of: UInt64(i + 1)) }
        }
        // The workload is drawn before timing (two Zipf samples and a few more per event were 6 % of the timed
        // phase): the clients' cost of making up commands is not what this measures.
        log("drawing \(commands) watch events")
        let drawn = DrawnEvents((0..<commands).map { workload.event(UInt64($0)) })
        log("\(commands) watch commands from \(clients) clients")
        let hot = UInt64(1)  // Zipf rank 1: the busiest session
        let hotSent = IndexCounter()
        let started = monotonicSeconds()
        let cpuStarted = processCPUSeconds()
        try await eachIndex(commands, clients: clients) { i in
            let (stream, e) = drawn.events[i]
            let watch = min(e.watchMillis, e.durationMillis)
            try await registry.send(.watch(video: e.video, watchMillis: watch, loops: 0, completed: watch == e.durationMillis, at: e.occurredAt), to: stream.id)
            if stream.id == hot { _ = hotSent.take(1) }
        }
        let hotCount = hotSent.take(0)
        let seconds = monotonicSeconds() - started
        let cpuSeconds = processCPUSeconds() - cpuStarted
        log(String(format: "%.0f commands/s", Double(commands) / seconds))

        // The same events appended straight to the journal by the same clients (no actors, no decide): what the
        // actor layer costs on top of a durable append.
        log("the same \(commands) events appended without actors")
        let directStarted = monotonicSeconds()
        let directCPUStarted = processCPUSeconds()
        try await eachIndex(commands, clients: clients) { i in
            let (stream, e) = drawn.events[i]
            let write = StreamWrite(
                stream: .session(stream.id + 10_000_000), expected: .any, events: [ReelEvent.watched(e).newEvent(metadata: EventMetadata())])
            try await journal.append([write])
        }
        let directSeconds = monotonicSeconds() - directStarted
        let directCPUSeconds = processCPUSeconds() - directCPUStarted

        // Activation: passivate everything (snapshots every 100 events, so tails are under 100), then wake up
        // random sessions one at a time.
        log("passivating \(registry.residentCount) sessions, then \(activations) activations")
        await registry.passivateAll()
        snapshots.flush()
        registry.metrics.resetLatencies()
        var g = SplitMix64(seed: 7)
        for _ in 0..<activations {
            _ = try await registry.state(of: 1 + g.next() % UInt64(workload.sessions))
        }
        let activationP50 = registry.metrics.activationMillis(quantile: 0.5)
        let activationP99 = registry.metrics.activationMillis(quantile: 0.99)
        await registry.passivateAll()
        snapshots.close()
        journal.close()

        // Resident memory: sessions with realistic state (a started session that watched 20 videos with a page
        // of 10 served every 10), preloaded, measured as the growth of the process's resident set.
        log("measuring \(resident) resident sessions")
        let memoryRegistry = EntityRegistry<SessionEntity>(journal: try Journal.open(try .sealing(directory: "\(scratch)/memory", keys: "\(scratch)/keys.sqlite")), snapshots: nil, context: lookup)
        let before = residentSetBytes()
        for s in 1...UInt64(resident) {
            var state = SessionEntity.initialState(id: s)
            SessionEntity.evolve(&state, with: .sessionStarted(SessionStarted(session: s, viewer: 1 + s % 20_000, region: "US", language: "en", device: "phone", network: "wifi", occurredAt: t0)))
            for k in 0..<20 {
                let video = 1 + SplitMix64.mix(s, UInt64(k)) % 100_000
                if k % 10 == 0 {
                    let items = (0..<10).map { FeedItem(video: 1 + SplitMix64.mix(s, UInt64(k + $0)) % 100_000, source: "trending", score: 1) }
                    SessionEntity.evolve(&state, with: .feedServed(FeedServed(session: s, viewer: state.viewer, feed: 0, viewsPosition: 0, seed: 0, modelVersion: 0, build: "", items: items, occurredAt: t0)))
                }
                SessionEntity.evolve(&state, with: .watched(VideoWatched(viewer: state.viewer, video: video, session: s, watchMillis: 5000, durationMillis: 10000, loops: 0, completed: false, occurredAt: t0)))
            }
            await memoryRegistry.preload(id: s, state: state, version: 22)
        }
        let after = residentSetBytes()
        let bytesPerEntity = Double(after - before) / Double(resident)

        let result = JSONValue.object([
            ("commands", .int(Int64(commands))), ("clients", .int(Int64(clients))),
            ("commandsPerSecond", .double(Double(commands) / seconds)),
            ("journalOnlyAppendsPerSecond", .double(Double(commands) / directSeconds)),
            // CPU microseconds per command (both cores): below 2 cores' worth of the wall time, latency limits.
            ("cpuMicrosPerCommand", .double(cpuSeconds * 1e6 / Double(commands))),
            ("cpuMicrosPerJournalOnlyAppend", .double(directCPUSeconds * 1e6 / Double(commands))),
            ("hotEntityCommands", .int(Int64(hotCount))), ("hotEntityCommandsPerSecond", .double(Double(hotCount) / seconds)),
            ("activationP50Millis", .double(activationP50)), ("activationP99Millis", .double(activationP99)),
            ("residentEntities", .int(Int64(memoryRegistry.residentCount))), ("bytesPerResidentEntity", .double(bytesPerEntity)),
            ("residentGiB", .double(Double(after - before) / Double(1 << 30))),
            ("estimatedStateBytesPerEntity", .double(Double(memoryRegistry.residentBytes) / Double(max(1, resident)))),
        ])
        print(result.rendered)
    }
}

/// Events drawn before a timed phase, shared read-only by its clients.
final class DrawnEvents: Sendable {
    let events: [(stream: StreamID, event: VideoWatched)]
    init(_ events: [(stream: StreamID, event: VideoWatched)]) { self.events = events }
}

/// The process's resident set size (from /proc/self/statm).
func residentSetBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
