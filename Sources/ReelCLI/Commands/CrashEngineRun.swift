import ArgumentParser
import Foundation
import Reel

/// `reel journal crash-engine` (hidden, for the crash test): a whole engine in a real process, taking watch
/// commands from many clients and printing `ack <session> <version>` once each is durable, until killed.
/// The fixture (a video and sessions) is created on the first run and remembered in `<data-dir>.fixture`.
struct CrashEngine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crash-engine", shouldDisplay: false)
    @Option var dataDir: String
    @Option var sessions: Int = 8
    @Option var clients: Int = 32

    func run() async throws {
        var configuration = ReelConfiguration(dataDirectory: dataDir)
        configuration.views.checkpointEvents = 200
        configuration.snapshots.everyEvents = 20
        let engine = try ReelEngine(configuration: configuration)
        let running = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
        let fixturePath = "\(dataDir).fixture"
        var ids = (try? String(contentsOfFile: fixturePath, encoding: .utf8))?.split(separator: " ").compactMap { UInt64($0) } ?? []
        if ids.isEmpty {
            let creator = try await engine.registerUser(handle: "crashmaker", region: "US", email: "c@example.org", displayName: "C")
            let video = try await engine.addPublishedVideo(creator: creator, metadata: VideoMetadata(caption: "crash clip"), durationMillis: 10_000)
            let viewer = try await engine.registerUser(handle: "crashviewer", region: "US", email: "v@example.org", displayName: "V")
            ids = [video]
            for _ in 0..<sessions { ids.append(try await engine.startSession(viewer: viewer, context: SessionContext(region: "US"))) }
            try ids.map(String.init).joined(separator: " ").write(toFile: fixturePath, atomically: true, encoding: .utf8)
        }
        let (video, sessionIDs) = (ids[0], Array(ids.dropFirst()))
        let out = LineWriter()
        out.say("ready")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                group.addTask {
                    var i = c
                    while true {
                        let s = sessionIDs[i % sessionIDs.count]
                        let r = try await engine.engage(session: s, .watch(video: video, watchMillis: 1_000, completed: false))
                        out.say("ack \(s) \(r.version)")
                        i += 7
                    }
                }
            }
            try await group.waitForAll()
        }
        try await running.value
    }
}
