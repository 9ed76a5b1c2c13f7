import Foundation
import ReelDomain
import ReelJournal
import ReelTesting

/// A fresh temporary directory, removed by the caller with `cleanup`.
func temporaryDirectory(_ name: String = #function) -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let dir = NSTemporaryDirectory() + "reel-test-\(safe)-\(UUID().uuidString.prefix(8))"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func cleanup(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

func watch(_ i: UInt64, session: UInt64 = 1) -> NewEvent {
    VideoWatched(
        viewer: 7, video: 100 + i, session: session, watchMillis: 1000 + i, durationMillis: 15_000, loops: 0,
        completed: false, occurredAt: Timestamp(seconds: 1_767_225_600 + Double(i))
    ).newEvent(metadata: EventMetadata(correlationID: session, actorID: 7))
}

func simulatedConfig(_ fs: SimulatedFileSystem, segmentSize: Int = 16 << 20, clock: ManualClock = ManualClock()) -> JournalConfiguration {
    var c = JournalConfiguration(directory: "/j")
    c.fileSystem = fs
    c.segmentSize = segmentSize
    c.clock = clock
    return c
}

func readAll(_ j: Journal) throws -> [RecordedEvent] {
    var out: [RecordedEvent] = []
    var c = j.events()
    while let e = try c.next() { out.append(e) }
    return out
}

/// The package root (for the golden journals; the `reel` binary comes from `ReelTesting.reelExecutable`).
let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

