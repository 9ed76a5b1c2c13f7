import ArgumentParser
import Foundation
import ReelMedia

struct MediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media", abstract: "Media tools: run the upload pipeline on a file.", subcommands: [MediaProcessCommand.self, CrashMediaIngest.self])
}

struct MediaProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Runs the whole media pipeline on one file: validate, one-pass HLS ladder + MP4 fallback, thumbnails, fingerprint, perceptual hashes, scene cuts.")

    @Argument(help: "The video file.") var file: String
    @Option(help: "The output directory (created; must be empty).") var out: String
    @Flag(help: "Print the full result as JSON.") var json = false

    func run() async throws {
        let fm = FileManager.default
        let input = URL(fileURLWithPath: file).standardizedFileURL.path
        guard fm.fileExists(atPath: input) else { throw ValidationError("no file at \(file)") }
        let output = URL(fileURLWithPath: out).standardizedFileURL.path
        if let contents = try? fm.contentsOfDirectory(atPath: output), !contents.isEmpty {
            throw ValidationError("\(out) is not empty; the pipeline writes into an empty directory")
        }
        try fm.createDirectory(atPath: output, withIntermediateDirectories: true)
        let result: ProcessedMedia
        do {
            result = try await MediaPipeline().process(input, into: output)
        } catch {
            try? fm.removeItem(atPath: output)
            throw ValidationError("\(file): \(error.code): \(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        let p = result.probe
        print("source      \(p.width)×\(p.height) \(p.videoCodec) \(String(format: "%.2f", p.fps)) fps, \(p.durationMillis) ms, audio: \(p.audioCodec ?? "none")")
        for r in result.renditions {
            print("rendition   \(r.rung.name) \(r.rung.width)×\(r.rung.height): \(r.segments) segments, average \(r.averageBitrate / 1000) kb/s, peak \(r.peakBitrate / 1000) kb/s (\(r.codecs))")
        }
        print("master      \(output)/\(result.master)")
        print("fallback    \(output)/\(result.fallback)")
        print("thumbnails  \(result.thumbnails.map { "\(output)/\($0)" }.joined(separator: " "))")
        print("frame hashes \(result.frameHashes.count) (one a second), audio fingerprint \(result.audioFingerprint.count) words, scene cuts at \(result.sceneCutsMillis) ms")
        print("took        \(String(format: "%.2f", result.seconds)) s (\(String(format: "%.2f", result.seconds * 1000 / Double(max(1, p.durationMillis)))) × real time)")
    }
}
