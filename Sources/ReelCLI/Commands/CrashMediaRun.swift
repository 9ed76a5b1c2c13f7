import ArgumentParser
import Foundation
import Reel
import ReelMedia

/// `reel media crash-ingest` (hidden, for the crash test): an engine and its media service in a real process;
/// ingests `--file` once and prints `ack <video> 0` when the upload is durable and `ack <video> 1` once ffmpeg
/// runs, then keeps processing until killed. Run again without `--file` it only processes what is pending, printing `settled <video> <status>`.
struct CrashMediaIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crash-ingest", shouldDisplay: false)
    @Option var dataDir: String
    @Option var file: String?
    @Option var video: UInt64?
    /// SIGKILL this very process 300 ms after its ffmpeg starts: a kill at a precise moment that does not
    /// depend on how busy the test that started it is.
    @Flag var killSelfWhileTranscoding = false

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
            // Say when ffmpeg runs (its pid file is in the job's staging directory), so a test kills mid-transcode.
            let staging = "\(dataDir)/blobs/staging"
            for _ in 0..<6_000 {
                let jobs = (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []
                if jobs.contains(where: { FileManager.default.fileExists(atPath: "\(staging)/\($0)/\(MediaPipeline.pidFile)") }) {
                    out.say("ack \(video) 1")
                    if killSelfWhileTranscoding {
                        try await Task.sleep(for: .milliseconds(300))
                        kill(getpid(), SIGKILL)
                    }
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
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
