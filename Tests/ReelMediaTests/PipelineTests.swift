import Foundation
import ReelMedia
import Testing

/// The real pipeline on clips generated with lavfi, and every kind of bad input ending in a clear reason.
@Suite(.enabled(if: hasFFmpeg, "needs ffmpeg"), .serialized) struct PipelineTests {
    @Test func oneRunProducesTheLadderFallbackThumbnailsAndAnalysis() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let clip = try makeClip("\(dir)/in.mp4", video: "testsrc2=s=540x960:r=30:d=5", audio: "sine=f=440:d=5")
        let out = "\(dir)/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let media = try await MediaPipeline().process(clip, into: out)
        #expect(media.renditions.map(\.rung.name) == ["540p", "360p"], "never above the source")
        #expect(media.probe.durationMillis == 5_000 && media.probe.hasAudio)
        let master = try String(contentsOfFile: "\(out)/master.m3u8", encoding: .utf8)
        for attribute in ["BANDWIDTH=", "AVERAGE-BANDWIDTH=", "CODECS=\"avc1.64001f,mp4a.40.2\"", "RESOLUTION=540x960", "RESOLUTION=360x640"] {
            #expect(master.contains(attribute), "\(attribute) missing from\n\(master)")
        }
        // 2-second segments with aligned keyframes: every rung has the same segment boundaries.
        for r in media.renditions {
            let playlist = try String(contentsOfFile: "\(out)/\(r.rung.name)/index.m3u8", encoding: .utf8)
            #expect(Playlists.segments(mediaPlaylist: playlist).map(\.seconds) == [2, 2, 1])
        }
        let (_, keyframes) = try tool("ffprobe", ["-v", "error", "-select_streams", "v", "-skip_frame", "nokey", "-show_entries", "frame=pts_time", "-of", "csv=p=0", "\(out)/360p/index.m3u8"])
        #expect(keyframes.split(separator: "\n").compactMap { Double($0) }.map { ($0 * 10).rounded() / 10 }.starts(with: [1.4, 3.4]) || keyframes.split(separator: "\n").count == 3,
                "keyframes every 2 s: \(keyframes)")
        // The fallback is a progressive MP4 of the 540p rung (remuxed by tee, not a fifth encode) with audio.
        let (_, streams) = try tool("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height,profile", "-of", "csv=p=0", "\(out)/fallback.mp4"])
        #expect(streams.contains("h264,High,540,960") && streams.contains("aac"), "\(streams)")
        // A real client plays the HLS master to the end.
        let (played, _) = try tool("ffmpeg", ["-v", "error", "-i", "\(out)/master.m3u8", "-map", "0:v:0", "-f", "null", "-"])
        #expect(played == 0)
        #expect(media.thumbnails.count == 3)
        #expect(media.frameHashes.count == 5, "one perceptual hash a second")
        #expect(media.audioFingerprint.count > 10, "chromaprint: about 7 words a second after its first window")
        #expect(!FileManager.default.fileExists(atPath: "\(out)/frames.gray"), "analysis scratch files are folded into media.json")
        #expect(FileManager.default.fileExists(atPath: "\(out)/media.json"))
    }

    @Test func aSilentClipIsFineAndSceneCutsAreFound() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        // Two very different shots: red for 2 s, then a test pattern.
        let clip = try makeClip(
            "\(dir)/in.mp4", video: nil,
            extra: ["-f", "lavfi", "-i", "color=c=red:s=360x640:r=25:d=2", "-f", "lavfi", "-i", "testsrc=s=360x640:r=25:d=2",
                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let out = "\(dir)/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let media = try await MediaPipeline().process(clip, into: out)
        #expect(!media.probe.hasAudio && media.audioFingerprint.isEmpty)
        #expect(media.sceneCutsMillis.count == 1 && abs(Int(media.sceneCutsMillis[0]) - 2_000) <= 80, "\(media.sceneCutsMillis)")
        #expect(!(try String(contentsOfFile: "\(out)/master.m3u8", encoding: .utf8)).contains("mp4a"))
    }

    @Test func reEncodedCopiesAreNearDuplicatesAndKeepTheirSound() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let original = try makeClip("\(dir)/a.mp4", video: "testsrc2=s=360x640:r=30:d=6", audio: "sine=f=523:d=6")
        // The copy: scaled, re-encoded at a low bit rate, slightly darker.
        let copy = try makeClip("\(dir)/b.mp4", video: nil, extra: ["-i", original, "-vf", "scale=300:534,eq=brightness=-0.05", "-c:v", "libx264", "-b:v", "200k", "-c:a", "aac", "-b:a", "64k"])
        let other = try makeClip("\(dir)/c.mp4", video: "mandelbrot=s=360x640:r=30,trim=duration=6", audio: "anoisesrc=d=6:c=pink")
        var results: [ProcessedMedia] = []
        for (i, clip) in [original, copy, other].enumerated() {
            let out = "\(dir)/out\(i)"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            results.append(try await MediaPipeline().process(clip, into: out))
        }
        #expect(PerceptualHash.isNearDuplicate(results[1].frameHashes, of: results[0].frameHashes))
        #expect(!PerceptualHash.isNearDuplicate(results[2].frameHashes, of: results[0].frameHashes))
        #expect(AudioFingerprint.isSameSound(results[1].audioFingerprint, results[0].audioFingerprint))
        #expect(!AudioFingerprint.isSameSound(results[2].audioFingerprint, results[0].audioFingerprint))
    }

    /// Each bad input ends with a clear, permanent reason and leaves nothing behind.
    @Test(arguments: ["notAVideo", "empty", "truncated", "audioOnly", "absurdSize", "tooLong", "playlist", "concat"])
    func badInputGetsAClearReason(_ kind: String) async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var limits = MediaLimits()
        let input = "\(dir)/upload"
        let expected: [String]
        switch kind {
        case "notAVideo":
            try Data("this is not a video, it is a shopping list\n".utf8).write(to: URL(fileURLWithPath: input))
            expected = ["notAVideo", "unsupportedContainer"]
        case "empty":
            try Data().write(to: URL(fileURLWithPath: input))
            expected = ["notAVideo", "unsupportedContainer"]
        case "truncated":
            let full = try makeClip("\(dir)/full.mp4", video: "testsrc2=s=360x640:r=30:d=3", audio: "sine=d=3")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: input))
            expected = ["notAVideo", "undecodable", "noDuration"]
        case "audioOnly":
            try makeClip("\(dir)/a.m4a", video: nil, audio: "sine=d=3")
            try FileManager.default.moveItem(atPath: "\(dir)/a.m4a", toPath: input)
            expected = ["noVideo"]
        case "absurdSize":
            try makeClip("\(dir)/w.mp4", video: "color=s=4200x64:d=1")
            try FileManager.default.moveItem(atPath: "\(dir)/w.mp4", toPath: input)
            expected = ["tooLarge"]
        case "tooLong":
            limits.maxDurationSeconds = 2
            try makeClip("\(dir)/l.mp4", video: "testsrc2=s=360x640:d=3")
            try FileManager.default.moveItem(atPath: "\(dir)/l.mp4", toPath: input)
            expected = ["tooLong"]
        case "playlist":
            // An uploaded playlist must not make ffmpeg read other local files (or the network).
            try makeClip("\(dir)/secret.ts", video: "testsrc2=s=360x640:d=2", extra: ["-f", "mpegts"])
            try Data("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n\(dir)/secret.ts\n#EXT-X-ENDLIST\n".utf8).write(to: URL(fileURLWithPath: input))
            expected = ["unsupportedContainer", "notAVideo"]
        default:
            try makeClip("\(dir)/secret.mp4", video: "testsrc2=s=360x640:d=2")
            try Data("ffconcat version 1.0\nfile '\(dir)/secret.mp4'\n".utf8).write(to: URL(fileURLWithPath: input))
            expected = ["unsupportedContainer", "notAVideo"]
        }
        let out = "\(dir)/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        do {
            _ = try await MediaPipeline(limits: limits).process(input, into: out)
            Issue.record("\(kind) was accepted")
        } catch {
            #expect(expected.contains(error.code), "\(kind): \(error.code): \(error)")
            #expect(!error.isTransient)
            #expect(!error.description.isEmpty)
            #expect(!error.description.contains(dir), "the reason shown to the uploader names no internal path: \(error.description)")
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).allSatisfy { ["360p", "540p", "720p", "1080p"].contains($0) })
    }

    @Test func aToolThatOverrunsItsTimeIsKilled() async throws {
        var limits = MediaLimits()
        limits.toolTimeoutSeconds = 1
        let started = ContinuousClock.now
        do {
            _ = try await ToolRunner(limits: limits).run("sleep", ["30"], in: "/")
            Issue.record("sleep 30 finished within a 1 s limit")
        } catch {
            #expect(error.kind == .timedOut && error.isTransient)
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
