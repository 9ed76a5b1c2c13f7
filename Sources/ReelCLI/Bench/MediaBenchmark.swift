import ArgumentParser
import Foundation
import ReelMedia

struct MediaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract: "Times the full media pipeline against one hand-written ffmpeg ladder command on the same clip, and checks quality (SSIM).")
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Rounds of each (alternating, pipeline first); medians are reported.") var rounds = 3
    @Option(help: "Clip length in seconds.") var seconds = 15
    @Option(help: "Scratch directory (default: a new one under /tmp).") var scratch: String?

    func run() async throws {
        let dir = try makeScratch(scratch)
        defer { if scratch == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let source = "\(dir)/source.mp4"
        log("generating a \(seconds) s 1080×1920 30 fps clip with audio and camera-like noise")
        try shell(MediaReference.sourceCommand(seconds: seconds, output: source))
        log("reference command:\n" + MediaReference.command(source: source, output: "$OUT"))

        var pipelineTimes: [Double] = [], bareTimes: [Double] = []
        var lastOutput = ""
        for round in 0..<rounds {
            let out = "\(dir)/pipeline-\(round)"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let t0 = monotonicSeconds()
            _ = try await MediaPipeline().process(source, into: out)
            pipelineTimes.append(monotonicSeconds() - t0)
            if round > 0 { try? FileManager.default.removeItem(atPath: lastOutput) }
            lastOutput = out

            let ref = "\(dir)/reference-\(round)"
            let t1 = monotonicSeconds()
            try shell(MediaReference.command(source: source, output: ref))
            bareTimes.append(monotonicSeconds() - t1)
            try? FileManager.default.removeItem(atPath: ref)
            log("round \(round + 1): pipeline \(String(format: "%.2f", pipelineTimes.last!)) s, bare ffmpeg \(String(format: "%.2f", bareTimes.last!)) s")
        }
        var ssim: [(String, Double)] = []
        for rung in Ladder.rungs(sourceWidth: 1080, sourceHeight: 1920) {
            ssim.append((rung.name, try MediaReference.ssim(rendition: "\(lastOutput)/\(rung.name)/index.m3u8", source: source, rung: rung)))
        }
        let pipeline = quantile(pipelineTimes, 0.5), bare = quantile(bareTimes, 0.5)
        let fields: [(String, String)] = [
            ("clipSeconds", "\(seconds)"), ("rounds", "\(rounds)"),
            ("pipelineSeconds", String(format: "%.3f", pipeline)), ("bareFfmpegSeconds", String(format: "%.3f", bare)),
            ("ratio", String(format: "%.3f", pipeline / bare)), ("realTimeFactor", String(format: "%.3f", pipeline / Double(seconds))),
            ("minSsim", String(format: "%.4f", ssim.map(\.1).min() ?? 0)),
            ("ssimByRung", "{" + ssim.map { "\"\($0.0)\": \(String(format: "%.4f", $0.1))" }.joined(separator: ", ") + "}"),
            ("pipelineRuns", "[" + pipelineTimes.map { String(format: "%.3f", $0) }.joined(separator: ", ") + "]"),
            ("bareRuns", "[" + bareTimes.map { String(format: "%.3f", $0) }.joined(separator: ", ") + "]"),
            ("referenceCommand", jsonString(MediaReference.command(source: "SOURCE", output: "OUT"))),
        ]
        if json {
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (k, v) in fields { print("\(k): \(v)") }
        }
    }

    func jsonString(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}

/// The peer the pipeline is measured against: one hand-written ffmpeg command producing the same four HLS
/// renditions with the same encoder, preset, bit rates and keyframe interval, and nothing else (no MP4
/// fallback, thumbnails, hashes, scene detection or fingerprint). Written out by hand on purpose: it is not
/// generated from `TranscodePlan`, so a regression in the plan cannot move the yardstick with it.
enum MediaReference {
    static func command(source: String, output: String) -> String {
        """
        mkdir -p \(output)/1080p \(output)/720p \(output)/540p \(output)/360p && \
        ffmpeg -nostdin -y -v error -i \(source) \
        -filter_complex '[0:v]format=yuv420p,split=4[a][b][c][d];[a]null[v1080];[b]scale=720:1280[v720];[c]scale=540:960[v540];[d]scale=360:640[v360]' \
        -map '[v1080]' -map 0:a:0 -c:v libx264 -profile:v high -preset superfast -b:v 4500000 -maxrate 4815000 -bufsize 9000000 -force_key_frames 'expr:gte(t,n_forced*2)' -sc_threshold 0 -c:a aac -b:a 128000 -ac 2 -ar 48000 -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_filename \(output)/1080p/seg_%03d.ts \(output)/1080p/index.m3u8 \
        -map '[v720]' -map 0:a:0 -c:v libx264 -profile:v high -preset superfast -b:v 2500000 -maxrate 2675000 -bufsize 5000000 -force_key_frames 'expr:gte(t,n_forced*2)' -sc_threshold 0 -c:a aac -b:a 128000 -ac 2 -ar 48000 -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_filename \(output)/720p/seg_%03d.ts \(output)/720p/index.m3u8 \
        -map '[v540]' -map 0:a:0 -c:v libx264 -profile:v high -preset superfast -b:v 1400000 -maxrate 1498000 -bufsize 2800000 -force_key_frames 'expr:gte(t,n_forced*2)' -sc_threshold 0 -c:a aac -b:a 128000 -ac 2 -ar 48000 -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_filename \(output)/540p/seg_%03d.ts \(output)/540p/index.m3u8 \
        -map '[v360]' -map 0:a:0 -c:v libx264 -profile:v high -preset superfast -b:v 700000 -maxrate 749000 -bufsize 1400000 -force_key_frames 'expr:gte(t,n_forced*2)' -sc_threshold 0 -c:a aac -b:a 128000 -ac 2 -ar 48000 -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_filename \(output)/360p/seg_%03d.ts \(output)/360p/index.m3u8
        """
    }

    /// A phone-like clip: a moving test pattern with temporal noise (camera grain; a clean pattern is far
    /// easier to encode than footage), a tone, encoded at a phone's ~18 Mb/s.
    static func sourceCommand(seconds: Int, output: String) -> String {
        "ffmpeg -nostdin -y -v error -f lavfi -i 'testsrc2=s=1080x1920:r=30:d=\(seconds),noise=alls=6:allf=t' "
            + "-f lavfi -i 'sine=f=440:d=\(seconds):sample_rate=48000' -c:v libx264 -preset veryfast -b:v 18M -maxrate 20M -bufsize 20M "
            + "-pix_fmt yuv420p -c:a aac -shortest \(output)"
    }

    /// SSIM (all planes) of a rendition against the source scaled to the rendition's size.
    static func ssim(rendition: String, source: String, rung: Rung) throws -> Double {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "ffmpeg", "-nostdin", "-hide_banner", "-i", rendition, "-i", source, "-lavfi",
            "[1:v]scale=\(rung.width):\(rung.height),format=yuv420p[ref];[0:v]format=yuv420p[d];[d][ref]ssim", "-f", "null", "-",
        ]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard let r = text.range(of: "All:") else { throw ValidationError("no SSIM for \(rung.name): \(text.suffix(300))") }
        return Double(text[r.upperBound...].prefix { $0 == "." || $0.isNumber }) ?? 0
    }
}

func shell(_ command: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw ValidationError("failed (\(p.terminationStatus)): \(command.prefix(200))") }
}
