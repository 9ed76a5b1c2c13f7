import Foundation

/// Everything one pipeline run produced, as stored next to the renditions in `media.json` and summarised in
/// the `video.processed` event.
public struct ProcessedMedia: Sendable, Hashable, Codable {
    public var probe: ProbedMedia
    public var renditions: [RenditionStats]
    /// Files relative to the output directory.
    public var master: String
    public var fallback: String
    public var thumbnails: [String]
    /// One dHash per second of video.
    public var frameHashes: [UInt64]
    /// Chromaprint raw words (empty without audio).
    public var audioFingerprint: [UInt32]
    public var sceneCutsMillis: [UInt64]
    /// The pipeline's own wall time.
    public var seconds: Double
}

/// Why a run did not produce media: the input is unacceptable (permanent) or the tools failed (maybe
/// transient: a timeout, a full disk).
public enum PipelineError: Error, Sendable, CustomStringConvertible {
    case rejected(MediaRejection)
    case tool(ToolFailure)
    case output(String)

    public var description: String {
        switch self {
        case .rejected(let r): r.message
        case .tool(let f): f.description
        case .output(let s): s
        }
    }
    /// Retrying later may succeed.
    public var isTransient: Bool {
        if case .tool(let f) = self { return f.isTransient }
        return false
    }
    public var code: String {
        switch self {
        case .rejected(let r): r.code
        case .tool(let f): f.kind == .diskFull ? "diskFull" : f.kind == .timedOut ? "timedOut" : "transcodeFailed"
        case .output: "transcodeFailed"
        }
    }
}

/// The effectful shell around the pure plan: probe, validate, one ffmpeg run, then read back what it wrote.
public struct MediaPipeline: Sendable {
    public var limits: MediaLimits
    public var runner: ToolRunner
    public var preset = "superfast"

    public init(limits: MediaLimits = MediaLimits()) {
        self.limits = limits
        runner = ToolRunner(limits: limits)
    }

    /// Probes and validates `input` (an internal path).
    public func probe(_ input: String) async throws(PipelineError) -> ProbedMedia {
        let json: Data
        do {
            json = try await runner.run(runner.ffprobe, Probe.arguments(path: input, limits: limits), in: "/")
        } catch {
            if error.kind == .failed {
                if error.stderrTail.contains("whitelist") {
                    throw .rejected(MediaRejection("unsupportedContainer", "the container format is not accepted (accepted: \(limits.demuxers.joined(separator: ", ")))"))
                }
                throw .rejected(MediaRejection("notAVideo", "the file could not be read as a video: \(Self.firstLine(error.stderrTail, hiding: input))"))
            }
            throw .tool(error)
        }
        do { return try Probe.parse(json: json, limits: limits) } catch { throw .rejected(error) }
    }

    /// Runs the whole pipeline on `input`, writing into `output` (an empty directory the caller owns and
    /// deletes on failure).
    /// With `composing`, the upload is combined with a published original first (a duet or a stitch); the
    /// original is an internal file (its MP4 fallback).
    public func process(_ input: String, into output: String, composing: (kind: Composition.Kind, source: String)? = nil) async throws(PipelineError)
        -> ProcessedMedia
    {
        let started = ContinuousClock.now
        let uploadProbe = try await probe(input)
        var probed = uploadProbe
        var composition: Composition?
        if let composing {
            let source = try await probe(composing.source)
            let c = Composition(kind: composing.kind, sourcePath: composing.source, source: source)
            composition = c
            let composed = c.composed(upload: probed)
            guard composed.durationMillis <= UInt64(limits.maxDurationSeconds) * 1000 else {
                throw .rejected(MediaRejection("tooLong", "the \(composing.kind) would last \(composed.durationMillis / 1000) s; at most \(limits.maxDurationSeconds) s is allowed"))
            }
            probed = composed
        }
        var plan = TranscodePlan(
            inputPath: input, probe: probed, rungs: Ladder.rungs(sourceWidth: probed.width, sourceHeight: probed.height), composition: composition)
        plan.limitSeconds = limits.maxDurationSeconds
        plan.uploadProbe = uploadProbe
        plan.preset = preset
        let fm = FileManager.default
        do {
            for dir in plan.rungDirectories { try fm.createDirectory(atPath: "\(output)/\(dir)", withIntermediateDirectories: true) }
        } catch {
            throw .tool(ToolFailure(kind: .diskFull, tool: "mkdir", status: -1, stderrTail: "\(error)"))
        }
        do {
            _ = try await runner.run(runner.ffmpeg, plan.arguments(limits: limits), in: output, pidFile: "\(output)/\(Self.pidFile)")
        } catch {
            if error.kind == .failed { throw .rejected(MediaRejection("undecodable", "the video could not be decoded: \(Self.firstLine(error.stderrTail, hiding: input))")) }
            throw .tool(error)
        }
        return try readBack(plan, output, seconds: (ContinuousClock.now - started).seconds)
    }

    func readBack(_ plan: TranscodePlan, _ output: String, seconds: Double) throws(PipelineError) -> ProcessedMedia {
        let fm = FileManager.default
        var stats: [RenditionStats] = []
        for rung in plan.rungs {
            guard let text = try? String(contentsOfFile: "\(output)/\(rung.name)/index.m3u8", encoding: .utf8) else {
                throw .output("ffmpeg wrote no playlist for \(rung.name)")
            }
            let segments = Playlists.segments(mediaPlaylist: text).map { s in
                (seconds: s.seconds, bytes: ((try? fm.attributesOfItem(atPath: "\(output)/\(rung.name)/\(s.name)"))?[.size] as? Int) ?? 0)
            }
            guard !segments.isEmpty else { throw .output("the \(rung.name) playlist has no segments") }
            var codecs = H264Level.codecs(level: rung.level(fps: plan.probe.fps))
            if plan.probe.hasAudio { codecs += ",mp4a.40.2" }
            stats.append(Playlists.stats(rung: rung, segments: segments, codecs: codecs))
        }
        // The duration is what was decoded (the smallest rung's segments), not what the header claimed: a
        // truncated MP4 whose header said 3 s held 0.6 s of picture; a file past the limit was cut by `-t`.
        let decodedMillis = UInt64((decodedSeconds(plan, output) * 1000).rounded())
        guard decodedMillis <= UInt64(plan.limitSeconds) * 1000 else {
            throw .rejected(
                MediaRejection(
                    "tooLong",
                    "the video lasts more than \(plan.limitSeconds) s (its header said \(plan.probe.durationMillis / 1000) s); at most \(plan.limitSeconds) s is allowed"))
        }
        guard decodedMillis > 0 else { throw .rejected(MediaRejection("undecodable", "no picture could be decoded from the video")) }
        var probe = plan.probe
        probe.durationMillis = decodedMillis
        let master = Playlists.master(stats, frameRate: plan.probe.fps)
        guard fm.createFile(atPath: "\(output)/\(TranscodePlan.masterPlaylist)", contents: Data(master.utf8)) else {
            throw .tool(ToolFailure(kind: .diskFull, tool: "write", status: -1, stderrTail: "cannot write the master playlist"))
        }
        guard fm.fileExists(atPath: "\(output)/\(TranscodePlan.fallbackFile)") else { throw .output("ffmpeg wrote no MP4 fallback") }
        let thumbnails = (1...plan.thumbnailFrames.count).map { "thumb_\($0).jpg" }.filter { fm.fileExists(atPath: "\(output)/\($0)") }
        guard !thumbnails.isEmpty else { throw .output("ffmpeg wrote no thumbnails") }
        let grey = (try? Data(contentsOf: URL(fileURLWithPath: "\(output)/\(TranscodePlan.frameHashFile)"))) ?? Data()
        let fingerprint = (try? Data(contentsOf: URL(fileURLWithPath: "\(output)/\(TranscodePlan.fingerprintFile)"))) ?? Data()
        let scenes = (try? String(contentsOfFile: "\(output)/\(TranscodePlan.sceneFile)", encoding: .utf8)) ?? ""
        // The analysis inputs are folded into media.json; the raw files are not served.
        for f in [TranscodePlan.frameHashFile, TranscodePlan.fingerprintFile, TranscodePlan.sceneFile] { try? fm.removeItem(atPath: "\(output)/\(f)") }
        let result = ProcessedMedia(
            probe: probe, renditions: stats, master: TranscodePlan.masterPlaylist, fallback: TranscodePlan.fallbackFile, thumbnails: thumbnails,
            frameHashes: PerceptualHash.dHashes(grey: [UInt8](grey)), audioFingerprint: AudioFingerprint.words(raw: [UInt8](fingerprint)),
            sceneCutsMillis: SceneCuts.parse(scenes), seconds: seconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let json = try? encoder.encode(result), fm.createFile(atPath: "\(output)/media.json", contents: json) else {
            throw .tool(ToolFailure(kind: .diskFull, tool: "write", status: -1, stderrTail: "cannot write media.json"))
        }
        return result
    }

    /// Seconds of picture the smallest rung holds (its playlist's segment durations).
    func decodedSeconds(_ plan: TranscodePlan, _ output: String) -> Double {
        guard let text = try? String(contentsOfFile: "\(output)/\(plan.smallestRung.name)/index.m3u8", encoding: .utf8) else { return 0 }
        return Playlists.segments(mediaPlaylist: text).reduce(0) { $0 + $1.seconds }
    }

    /// Names the running ffmpeg inside a job's output directory (see `killOrphanedTool`).
    public static let pidFile = ".ffmpeg.pid"

    static func firstLine(_ s: String) -> String { String(s.split(separator: "\n").last ?? "").trimmingCharacters(in: .whitespaces) }

    /// The tool's last line as the uploader may see it: the internal path of their file (where blobs are kept
    /// on this machine) reads "the upload".
    static func firstLine(_ s: String, hiding path: String) -> String {
        firstLine(s).replacingOccurrences(of: "file:" + path, with: "the upload").replacingOccurrences(of: path, with: "the upload")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
