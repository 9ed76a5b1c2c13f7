/// The one ffmpeg command that turns an original into everything the product needs, decoding it once:
/// the frames are split and scaled into every rung of the ladder, the fallback rung is also muxed into a
/// progressive MP4 (the `tee` muxer, so no fifth encode), and the same decoded frames feed the analysis:
/// three thumbnails from the fallback rung, one tiny grey frame a second for perceptual hashes and scene
/// scores from the smallest rung, and the audio goes to chromaprint.
///
/// ffmpeg runs in the output directory, so every output name is relative and nothing needs escaping in the
/// filter graph; the input is an internal blob path behind `file:`, never an uploader's file name.
public struct TranscodePlan: Sendable {
    public var inputPath: String
    /// What the ladder encodes: the upload, or the composed duet or stitch.
    public var probe: ProbedMedia
    public var rungs: [Rung]
    public var composition: Composition?
    /// The upload's own probe when `probe` describes a composition.
    public var uploadProbe: ProbedMedia?
    /// x264 preset: the speed/size trade for every rung (`superfast` keeps a 2-core box under real time).
    public var preset = "superfast"
    public var segmentSeconds = 2
    /// The longest a published video may last (`MediaLimits.maxDurationSeconds`).
    public var limitSeconds = 600
    /// Scene-change score (0...1) above which a frame starts a new shot.
    public var sceneThreshold = 0.35

    public init(inputPath: String, probe: ProbedMedia, rungs: [Rung], composition: Composition? = nil) {
        self.inputPath = inputPath
        self.probe = probe
        self.rungs = rungs
        self.composition = composition
    }

    /// Where each consumer takes the audio from: the input stream (mapped any number of times) or, for a
    /// composition, one branch of an `asplit` of the composed sound.
    func audioSources(_ consumers: Int) -> [String] {
        composition == nil ? Array(repeating: "0:a:0", count: consumers) : (0..<consumers).map { "[a\($0)]" }
    }

    /// The rung remuxed into the MP4 fallback: 720p when there is one, else the best there is.
    public var fallbackRung: Rung { rungs.first { $0.name == "720p" } ?? rungs[0] }
    public var smallestRung: Rung { rungs[rungs.count - 1] }

    /// The frame numbers of the three thumbnails: at 10 %, 50 % and 90 % of the clip.
    public var thumbnailFrames: [Int] {
        let frames = max(1, Int(Double(probe.durationMillis) / 1000 * probe.fps))
        return Array(Set([frames / 10, frames / 2, frames * 9 / 10].map { min($0, frames - 1) })).sorted()
    }

    public static let thumbnailName = "thumb_%d.jpg"
    public static let frameHashFile = "frames.gray"
    public static let sceneFile = "scenes.txt"
    public static let fingerprintFile = "audio.fp"
    public static let fallbackFile = "fallback.mp4"
    public static let masterPlaylist = "master.m3u8"

    public func arguments(limits: MediaLimits) -> [String] {
        var graph: [String] = []
        let n = rungs.count
        let audioConsumers = n + 1  // every rung and the fingerprint
        if let composition {
            graph += composition.graph(upload: uploadProbe ?? probe)
            graph.append("[vin]split=\(n)" + (0..<n).map { "[s\($0)]" }.joined())
            if probe.hasAudio { graph.append("[ain]asplit=\(audioConsumers)" + (0..<audioConsumers).map { "[a\($0)]" }.joined()) }
        } else {
            graph.append("[0:v]format=yuv420p,split=\(n)" + (0..<n).map { "[s\($0)]" }.joined())
        }
        let audio = audioSources(audioConsumers)
        for (i, rung) in rungs.enumerated() {
            var outs = ["v\(i)"]
            if rung == fallbackRung { outs.append("thumbsrc") }
            if i == n - 1 { outs += ["hashsrc", "scenesrc"] }
            let scale = rung.width == probe.width && rung.height == probe.height ? "null" : "scale=\(rung.width):\(rung.height)"
            let split = outs.count == 1 ? "" : ",split=\(outs.count)"
            graph.append("[s\(i)]\(scale)\(split)" + outs.map { "[\($0)]" }.joined())
        }
        let select = thumbnailFrames.map { "eq(n\\,\($0))" }.joined(separator: "+")
        graph.append("[thumbsrc]select='\(select)'[thumbs]")
        graph.append("[hashsrc]fps=1,scale=9:8:flags=area,format=gray[hashes]")
        graph.append("[scenesrc]scale=90:160,select='gt(scene\\,\(sceneThreshold))',metadata=print:file=\(Self.sceneFile)[scenes]")

        var args = [
            "-nostdin", "-y", "-hide_banner", "-v", "error", "-threads", "\(limits.threads)",
            "-protocol_whitelist", "file", "-format_whitelist", limits.demuxers.joined(separator: ","),
            // Never decode more than a second past the limit, whatever the header says the file lasts (an MKV
            // claiming 2 s held 900 s): the work is bounded, and what was decoded tells the truth.
            "-t", "\(limits.maxDurationSeconds + 1)",
            "-i", "file:" + inputPath,
        ]
        if let composition { args += ["-protocol_whitelist", "file", "-format_whitelist", limits.demuxers.joined(separator: ","), "-i", "file:" + composition.sourcePath] }
        args += ["-filter_complex", graph.joined(separator: ";"), "-filter_complex_threads", "\(limits.threads)"]
        for (i, rung) in rungs.enumerated() {
            args += ["-map", "[v\(i)]"]
            if probe.hasAudio { args += ["-map", audio[i]] }
            args += encoderArguments(rung)
            let hls = "hls_time=\(segmentSeconds):hls_playlist_type=vod:hls_flags=independent_segments"
            if rung == fallbackRung {
                args += [
                    "-flags", "+global_header", "-f", "tee",
                    "[f=hls:\(hls):hls_segment_filename=\(rung.name)/seg_%03d.ts:onfail=abort]\(rung.name)/index.m3u8|[f=mp4:movflags=+faststart:onfail=abort]\(Self.fallbackFile)",
                ]
            } else {
                args += [
                    "-f", "hls", "-hls_time", "\(segmentSeconds)", "-hls_playlist_type", "vod", "-hls_flags", "independent_segments",
                    "-hls_segment_filename", "\(rung.name)/seg_%03d.ts", "\(rung.name)/index.m3u8",
                ]
            }
        }
        args += ["-map", "[thumbs]", "-fps_mode", "passthrough", "-q:v", "3", Self.thumbnailName]
        args += ["-map", "[hashes]", "-f", "rawvideo", Self.frameHashFile]
        args += ["-map", "[scenes]", "-f", "null", "-"]
        if probe.hasAudio { args += ["-map", audio[n], "-f", "chromaprint", "-fp_format", "raw", Self.fingerprintFile] }
        return args
    }

    /// H.264 High with 2-second aligned keyframes (every rung switches at the same instants), AAC stereo.
    func encoderArguments(_ rung: Rung) -> [String] {
        var a = [
            "-c:v", "libx264", "-profile:v", "high", "-level:v", levelString(rung.level(fps: probe.fps)), "-preset", preset,
            "-b:v", "\(rung.videoBitrate)", "-maxrate", "\(rung.maxrate)", "-bufsize", "\(rung.bufsize)",
            "-force_key_frames", "expr:gte(t,n_forced*\(segmentSeconds))", "-sc_threshold", "0",
        ]
        if probe.hasAudio { a += ["-c:a", "aac", "-b:a", "\(Ladder.audioBitrate)", "-ac", "2", "-ar", "48000"] }
        return a
    }

    func levelString(_ idc: Int) -> String { "\(idc / 10).\(idc % 10)" }

    /// The directories ffmpeg writes into (it does not create them).
    public var rungDirectories: [String] { rungs.map(\.name) }
}
