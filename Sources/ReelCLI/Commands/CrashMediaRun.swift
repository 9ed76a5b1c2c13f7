import ArgumentParser
import Foundation
import Reel
import ReelMedia

/// `reel media crash-ingest` (hidden, for the crash test): an engine and its media service in a real process;
/// ingests `--file` once and prints `ack <video> 0` when the upload is durable, then keeps processing until
/// killed. Run again without `--file` it only processes what is pending, printing `settled <video> <status>`.
struct CrashMediaIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crash-ingest", shouldDisplay: false)
    @Option var dataDir: String
    @Option var file: String?
    @Option var video: UInt64?

    func run() async throws {
        var configuration = ReelConfiguration(dataDirectory: dataDir)
        configuration.media.retryBackoffSeconds = 0
        let engine = try ReelEngine(configuration: configuration)
        let running = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
        let media = try MediaService(engine: engine)
        let processing = Task { try await media.run() }
        let out = LineWriter()
        if let file {
            let creator = try await engine.registerUser(handle: "crashmaker", region: "US", email: "c@example.org", displayName: "C")
            let video = try await media.ingest(file: file, creator: creator, metadata: VideoMetadata(caption: "crash clip"))
            out.say("ack \(video) 0")
        }
        if let video {
            _ = await media.waitUntilSettled(video, timeout: .seconds(300))
            out.say("settled \(video) \(engine.video(video).map { "\($0.status)" } ?? "unknown")")
            processing.cancel()
            _ = try? await processing.value
            await engine.shutdown()
            try await running.value
            return
        }
        try await processing.value
        try await running.value
    }
}
