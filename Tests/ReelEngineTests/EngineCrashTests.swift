import Foundation
import Reel
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
            let p = Process()
            p.executableURL = URL(fileURLWithPath: reel)
            p.arguments = ["journal", "crash-engine", "--data-dir", dir]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let reader = out.fileHandleForReading
            var received = Data()
            while String(decoding: received, as: UTF8.self).components(separatedBy: "ack ").count < 150 {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                received.append(chunk)
            }
            try await Task.sleep(for: .milliseconds(15 * round))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            received.append(reader.readDataToEndOfFile())
            var count = 0
            for line in String(decoding: received, as: UTF8.self).split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count == 3, f[0] == "ack", let s = UInt64(f[1]), let v = UInt64(f[2]) {
                    acked[s] = max(acked[s] ?? 0, v)
                    count += 1
                }
            }
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

private func reelExecutable() -> String? {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    for config in ["debug", "release"] {
        let p = "\(url.path)/.build/\(config)/reel"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}
