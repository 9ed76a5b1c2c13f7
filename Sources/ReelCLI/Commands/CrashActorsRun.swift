import ArgumentParser
import Foundation
import ReelDomain
import ReelJournal
import ReelRuntime
import ReelWorkloads

/// `reel journal crash-actors` (hidden, for the crash test): session actors in a real process take watch
/// commands from many clients and print `ack <session> <version>` once each is durable, until killed.
struct CrashActors: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crash-actors", shouldDisplay: false)
    @Option var dataDir: String
    @Option var sessions: Int = 40
    @Option var clients: Int = 64

    func run() async throws {
        let journal = try Journal.open(try .sealing(directory: "\(dataDir)/journal", keys: "\(dataDir)/keys.sqlite"))
        let snapshots = SnapshotWriter(store: try SnapshotStore(path: "\(dataDir)/snapshots.sqlite"))
        let lookup = StaticLookup(users: [1, 2, 3])
        for v in 1...UInt64(100) { lookup.setVideo(v, VideoInfo(status: .published, creator: 2, durationMillis: 10_000)) }
        var policy = EntityPolicy()
        policy.snapshotEvery = 10
        let registry = EntityRegistry<SessionEntity>(journal: journal, snapshots: snapshots, context: lookup, policy: policy, upcast: EventCatalog.upcast)
        let at = Timestamp(seconds: 1_767_225_600)
        for s in 1...UInt64(sessions) where try await registry.state(of: s).version == 0 {
            try await registry.send(.start(viewer: 1 + s % 3, region: "US", language: "en", device: "phone", network: "wifi", at: at), to: s)
        }
        let out = LineWriter()
        out.say("ready")
        let counter = IndexCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while true {
                        let i = UInt64(counter.take(1))
                        let s = 1 + SplitMix64.mix(7, i) % UInt64(sessions)
                        let r = try await registry.send(.watch(video: 1 + i % 100, watchMillis: 5_000, loops: 0, completed: false, at: at), to: s)
                        out.say("ack \(s) \(r.version)")
                        // Now and then, passivate everyone: activations from snapshots plus tails are exercised too.
                        if i % 500 == 499 { await registry.passivateAll() }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
