import Foundation
import ReelDomain
import ReelJournal
import ReelTesting
import ReelWorkloads
import Testing

/// SIGKILLs a real writer process (`reel journal crash-writer`) mid-append, many times, and checks that every
/// append it acknowledged is in the journal, byte for byte, and that the journal verifies.
@Suite struct CrashTests {
    @Test func killedWritersLoseNoAcknowledgedAppend() async throws {
        guard let reel = reelExecutable() else {
            Issue.record("build the reel executable first (make test does)")
            return
        }
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let workload = WatchWorkload()
        var acks: [(position: UInt64, count: UInt64, index: UInt64)] = []
        var nextIndex: UInt64 = 0
        var g = SplitMix64(seed: 11)
        for round in 0..<12 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: reel)
            p.arguments = [
                "journal", "crash-writer", "--dir", dir, "--writers", "8", "--batch", "7", "--segment-size", "65536",
                "--start-index", String(nextIndex),
            ]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Kill at a random moment after it has started acknowledging.
            let reader = out.fileHandleForReading
            var received = Data()
            while !String(decoding: received, as: UTF8.self).contains("ack ") {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                received.append(chunk)
            }
            try await Task.sleep(for: .milliseconds(Int(g.next() % 150)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            received.append(reader.readDataToEndOfFile())
            let text = String(decoding: received, as: UTF8.self)
            var roundAcks = 0
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.first == "ack", f.count == 4, let pos = UInt64(f[1]), let n = UInt64(f[2]), let i = UInt64(f[3]) {
                    acks.append((pos, n, i))
                    nextIndex = max(nextIndex, i + n)
                    roundAcks += 1
                }
            }
            #expect(roundAcks > 0, "round \(round): the writer acknowledged nothing before the kill")
            nextIndex += 100_000  // unacknowledged appends may have landed; never reuse their indexes

            var ro = JournalConfiguration(directory: dir)
            ro.readOnly = true
            let j = try Journal.open(ro)
            let all = try readAll(j)
            for a in acks {
                for k in 0..<a.count {
                    let e = all[Int(a.position + k)]
                    let expected = workload.newEvent(a.index + k)
                    #expect(e.stream == expected.stream && e.payload == expected.event.payload)
                }
            }
            #expect(j.verify().ok)
        }
        // And a writable open after the last kill cuts any torn tail and carries on.
        let j = try Journal.open(JournalConfiguration(directory: dir))
        try await j.append([watch(1)], to: .session(424_242))
        #expect(j.verify().ok)
        j.close()
    }
}
