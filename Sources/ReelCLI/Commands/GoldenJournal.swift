import Foundation
import ReelDomain
import ReelJournal
import Synchronization

/// Writes a small journal that exercises the format (several segments, multi-event batches, personal data,
/// every event type) plus `expected.jsonl` (its decoded content) and `head-hash.txt`. Golden journals are
/// written once per format version and never rewritten; tests replay them for ever after.
enum GoldenJournal {
    /// A clock that advances one millisecond per reading, so recordedAt is reproducible.
    final class SteppingClock: JournalClock {
        private let t = Mutex(Timestamp(seconds: 1_767_225_600))
        func now() -> Timestamp { t.withLock { $0 = $0.adding(microseconds: 1000); return $0 } }
    }

    static func write(to directory: String) async throws {
        let fs = PosixFileSystem()
        guard !fs.fileExists(directory) else {
            throw JournalError(.invalidArgument, "\(directory) exists; golden journals are never rewritten")
        }
        try fs.createDirectory(directory)
        var config = JournalConfiguration(directory: "\(directory)/journal")
        config.segmentSize = 2048
        config.clock = SteppingClock()
        let keys = try KeyStore(path: "\(directory)/keys.sqlite")
        config.cipher = keys
        let journal = try Journal.open(config)
        let t0 = Timestamp(seconds: 1_767_225_600)
        for u in UInt64(1)...3 {
            let reg = UserRegistered(user: u, handle: "user\(u)", region: u == 2 ? "BR" : "DE", occurredAt: t0)
            let profile = PersonalProfile(email: "user\(u)@example.org", displayName: "User Nummer \(u) ✓")
            try await journal.append(
                [reg.newEvent(metadata: EventMetadata(actorID: u), personal: PersonalData(subject: u, bytes: profile.encode()))],
                to: .user(u), expected: .noStream)
        }
        let workload = WatchWorkloadForGolden()
        for s in UInt64(1)...3 {
            let started = SessionStarted(
                session: s, viewer: s, region: "DE", language: "de", device: "android", network: "wifi", occurredAt: t0)
            try await journal.append([started.newEvent(metadata: EventMetadata(correlationID: s, actorID: s))], to: .session(s))
        }
        for i in 0..<6 {
            let events = (0..<10).map { workload.event(UInt64(i * 10 + $0)) }
            try await journal.append(events.map { StreamWrite(stream: .session($0.session), events: [$0.newEvent(metadata: EventMetadata(correlationID: $0.session, actorID: $0.viewer))]) })
        }
        // Erase user 3: the golden journal keeps proving that erased data reads as erased.
        try keys.erase(subject: 3, at: t0)
        var lines = ""
        var cursor = journal.events(decryptPersonal: true)
        while let e = try cursor.next() { lines += try EventCatalog.json(e).rendered + "\n" }
        try lines.write(toFile: "\(directory)/expected.jsonl", atomically: true, encoding: .utf8)
        try (journal.headHash.hexString + "\n").write(toFile: "\(directory)/head-hash.txt", atomically: true, encoding: .utf8)
        journal.close()
        try? fs.remove("\(directory)/journal/LOCK")
        print("wrote \(journal.nextPosition) events to \(directory)")
    }
}

/// Watch events for the golden journal: three sessions, fixed values.
struct WatchWorkloadForGolden {
    func event(_ i: UInt64) -> VideoWatched {
        let session = 1 + i % 3
        return VideoWatched(
            viewer: session, video: 100 + i % 7, session: session, watchMillis: 1_000 + i * 37, durationMillis: 15_000,
            loops: i % 5 == 0 ? 1 : 0, completed: i % 4 == 0, occurredAt: Timestamp(seconds: 1_767_225_600 + Double(i)))
    }
}
