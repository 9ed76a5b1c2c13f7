import ArgumentParser
import ReelDomain
import ReelJournal
import ReelWorkloads

/// What `make run` starts until the server exists: writes demo events into the data directory, then shows
/// the journal's stats, a verification and the first events.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Append demo events to the data directory and show the journal.")
    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "Watch events to append.") var events: Int = 100_000

    func run() async throws {
        let journal = try data.openForWriting()
        print("journal: \(data.journalDirectory) (\(journal.recovery))")
        let first = journal.nextPosition
        let now = SystemClock().now()
        for u in UInt64(1)...3 where try journal.version(of: .user(u)) == 0 {
            let reg = UserRegistered(user: u, handle: "demo\(u)", region: "DE", occurredAt: now)
            let profile = PersonalProfile(email: "demo\(u)@example.org", displayName: "Demo User \(u)")
            try await journal.append(
                [reg.newEvent(metadata: EventMetadata(actorID: u), personal: PersonalData(subject: u, bytes: profile.encode()))],
                to: .user(u), expected: .noStream)
        }
        let workload = WatchWorkload(seed: UInt64(first))
        let clock = ContinuousClock()
        let started = clock.now
        var i = 0
        while i < events {
            let n = min(1000, events - i)
            try await journal.append((i..<(i + n)).map { k in
                let (s, e) = workload.newEvent(UInt64(k))
                return StreamWrite(stream: s, events: [e])
            })
            i += n
        }
        let elapsed = clock.now - started
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("appended \(journal.nextPosition - first) events in \(String(format: "%.2f", secs)) s (durable, 1000 per append)")
        let report = journal.verify()
        print("verify: \(report.ok ? "ok" : "FAILED") — \(report.events) events, \(report.segments) segment(s), head \(report.headHash.hexString)")
        var cursor = journal.events(from: 0, to: 5, decryptPersonal: true)
        while let e = try cursor.next() { print(try EventCatalog.json(e).rendered) }
        print("try: reel journal stats | dump --type video.watched --limit 3 | verify | replay --to 1000  (all with --data-dir \(data.dataDir))")
        journal.close()
    }
}

import Foundation
