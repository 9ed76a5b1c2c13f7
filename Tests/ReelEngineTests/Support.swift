import Foundation
import Reel
import Synchronization

func temporaryDirectory() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-engine-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func cleanup(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

/// A configuration on `dir` with small, quick settings.
func testConfiguration(_ dir: String) -> ReelConfiguration {
    var c = ReelConfiguration(dataDirectory: dir)
    c.actors.maintenanceIntervalSeconds = 1
    c.views.checkpointIntervalSeconds = 1
    return c
}

/// Runs an engine for the duration of `body`, then shuts it down and waits for `run` to return.
func withRunningEngine<T>(_ configuration: ReelConfiguration, _ body: (ReelEngine) async throws -> T) async throws -> T {
    let engine = try ReelEngine(configuration: configuration)
    let task = Task { try await engine.run() }
    while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
    do {
        let result = try await body(engine)
        await engine.shutdown()
        try await task.value
        return result
    } catch {
        await engine.shutdown()
        _ = try? await task.value
        throw error
    }
}

/// Waits until the views have folded everything written so far.
func settle(_ engine: ReelEngine) async throws {
    for _ in 0..<2_000 where engine.status.viewsLag > 0 { try await Task.sleep(for: .milliseconds(2)) }
}

/// A creator with `count` published videos; returns (creator, videos).
func publishVideos(_ engine: ReelEngine, count: Int, region: String = "US", tags: [String] = ["cats"]) async throws -> (UInt64, [UInt64]) {
    let creator = try await engine.registerUser(handle: "maker\(UInt32.random(in: 0...UInt32.max))", region: region, email: "m@example.org", displayName: "Maker")
    var videos: [UInt64] = []
    for i in 0..<count {
        videos.append(try await engine.addPublishedVideo(creator: creator, metadata: VideoMetadata(caption: "clip number \(i)", hashtags: tags), durationMillis: 10_000))
    }
    return (creator, videos)
}

/// A host's own projection: counts likes per video, checkpointed in memory (a real host writes a file).
final class LikeCounter: EventSubscriber, @unchecked Sendable {
    private let lock = NSLock()
    private var likes: [UInt64: Int] = [:]
    private var positions: [UInt64] = []
    private(set) var nextPosition: UInt64 = 0
    private(set) var checkpoints = 0

    func receive(_ events: [SubscribedEvent]) throws {
        lock.lock()
        defer { lock.unlock() }
        for e in events {
            positions.append(e.position)
            if case .liked(let l) = e.event { likes[l.video, default: 0] += 1 }
        }
        nextPosition = events.last!.position + 1
    }

    func checkpoint() throws {
        lock.lock()
        checkpoints += 1
        lock.unlock()
    }

    func count(_ video: UInt64) -> Int { lock.withLock { likes[video] ?? 0 } }
    var receivedInOrder: Bool { lock.withLock { zip(positions, positions.dropFirst()).allSatisfy { $0 < $1 } } }
}
