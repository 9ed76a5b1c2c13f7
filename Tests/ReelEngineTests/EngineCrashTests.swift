import Foundation
import Reel
import ReelTesting
import Testing

/// A whole engine in a real process, killed with SIGKILL while commands are in flight, five times over: each
/// restart takes the lock again, recovers, and nothing acknowledged is lost; the views agree with the journal.
@Suite struct EngineCrashTests {
    @Test func killingAnEngineProcessLosesNothingAcknowledged() async throws {
        guard let reel = reelExecutable() else {
            Issue.record("build the reel executable first (make test does)")
            return
        }
        let dir = temporaryDirectory()
        defer {
            cleanup(dir)
            try? FileManager.default.removeItem(atPath: "\(dir).fixture")
        }
        var acked: [UInt64: UInt64] = [:]
        var total = 0
        for round in 0..<5 {
            let lines = try await runReelUntilKilled(reel, ["journal", "crash-engine", "--data-dir", dir], acks: 149, grace: .milliseconds(15 * round))
            for (s, v) in lines { acked[s] = max(acked[s] ?? 0, v) }
            let count = lines.count
            #expect(count > 0, "round \(round) acknowledged nothing")
            total += count
        }
        let video = try #require(try String(contentsOfFile: "\(dir).fixture", encoding: .utf8).split(separator: " ").first.flatMap { UInt64($0) })
        try await withRunningEngine(testConfiguration(dir)) { engine in
            for (session, version) in acked {
                #expect(try engine.audit(.session, session).version >= version, "session \(session) lost acknowledged version \(version)")
            }
            try await settle(engine)
            let counter = WatchCounter()
            let subscription = engine.subscribe(counter)
            #expect(subscription.waitUntil(delivered: engine.status.journalPosition))
            #expect(counter.watches >= total)
            #expect(engine.video(video)?.counters.plays == UInt64(counter.watches), "views agree with the journal after five kills")
        }
    }
}
