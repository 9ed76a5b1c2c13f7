import Foundation
import ReelMedia
import ReelTesting
import Testing

/// Files that lie about themselves (issue 24, item 4): the duration published is what was decoded, and
/// decoding stops a second past the limit whatever the header says.
@Suite(.enabled(if: hasFFmpeg, "needs ffmpeg"), .serialized) struct HostileMediaTests {
    /// An 8-second MKV whose header says 2 s, with a 4-second limit: refused as too long (it was published
    /// with its header's duration and all of its picture).
    @Test func aFileLongerThanItsHeaderSaysIsRefused() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let path = try makeClip("\(dir)/long.mkv", video: "testsrc2=s=360x640:r=30:d=8", audio: "sine=d=8")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Matroska's Duration element (ID 0x4489, an 8-byte big-endian float in milliseconds): 8000 → 2000.
        let at = try #require((0..<bytes.count - 11).first { bytes[$0] == 0x44 && bytes[$0 + 1] == 0x89 && bytes[$0 + 2] == 0x88 })
        let claimed = withUnsafeBytes(of: Double(2_000).bitPattern.bigEndian) { Array($0) }
        bytes.replaceSubrange((at + 3)..<(at + 11), with: claimed)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var limits = MediaLimits()
        limits.maxDurationSeconds = 4
        let pipeline = MediaPipeline(limits: limits)
        #expect(try await pipeline.probe(path).durationMillis == 2_000, "the header lies (else this test proves nothing)")
        let out = "\(dir)/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        do {
            let media = try await pipeline.process(path, into: out)
            Issue.record("published with \(media.probe.durationMillis) ms")
        } catch {
            #expect(error.code == "tooLong", "\(error)")
            #expect(error.description.contains("header said 2 s"), "\(error.description)")
        }
        // Decoding stopped a second past the limit: no rung holds more than that.
        for rung in ["360p"] {
            let playlist = (try? String(contentsOfFile: "\(out)/\(rung)/index.m3u8", encoding: .utf8)) ?? ""
            let seconds = Playlists.segments(mediaPlaylist: playlist).reduce(0) { $0 + $1.seconds }
            #expect(seconds <= 5.1, "\(seconds) s decoded (a frame over the cut at most)")
        }
    }

    /// A faststart MP4 cut short: its header says 3 s; what is published says what could be decoded.
    @Test func aTruncatedFileIsPublishedWithTheDurationDecoded() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let full = try makeClip("\(dir)/full.mp4", video: "testsrc2=s=360x640:r=30:d=3", audio: "sine=d=3", extra: ["-movflags", "+faststart"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
        let path = "\(dir)/cut.mp4"
        try bytes.prefix(bytes.count * 2 / 5).write(to: URL(fileURLWithPath: path))
        let pipeline = MediaPipeline()
        #expect(try await pipeline.probe(path).durationMillis == 3_000, "the header still says 3 s")
        let out = "\(dir)/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        do {
            let media = try await pipeline.process(path, into: out)
            #expect(media.probe.durationMillis < 2_500 && media.probe.durationMillis > 0, "\(media.probe.durationMillis) ms published")
        } catch {
            // Refusing it is also honest; publishing 3 s is not.
            #expect(["undecodable", "transcodeFailed"].contains(error.code), "\(error)")
        }
    }
}
