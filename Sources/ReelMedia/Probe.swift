import Foundation

/// What ffprobe says about an original, reduced to what the pipeline needs.
public struct ProbedMedia: Sendable, Hashable, Codable {
    /// The demuxer ffprobe chose ("mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"...).
    public var container: String
    public var durationMillis: UInt64
    public var videoCodec: String
    /// Display size (after the rotation a phone recorded), in pixels.
    public var width: Int
    public var height: Int
    public var fps: Double
    public var audioCodec: String?
    public var hasAudio: Bool { audioCodec != nil }
}

/// Why an original cannot be processed. `code` is stable; `message` says what was wrong in words a creator
/// understands. Everything here is permanent: retrying the same bytes cannot help.
public struct MediaRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: String
    public var message: String
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}

public enum Probe {
    /// The ffprobe arguments for `path` (an internal blob path, never the uploader's file name): local files
    /// only, the allowed demuxers only, JSON out.
    public static func arguments(path: String, limits: MediaLimits) -> [String] {
        [
            "-v", "error", "-protocol_whitelist", "file", "-format_whitelist", limits.demuxers.joined(separator: ","),
            "-show_entries", "format=format_name,duration:stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate:stream_tags=rotate:stream_side_data=rotation",
            "-of", "json", "-i", "file:" + path,
        ]
    }

    /// Parses ffprobe's JSON and checks it against the limits.
    public static func parse(json: Data, limits: MediaLimits) throws(MediaRejection) -> ProbedMedia {
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw MediaRejection("notAVideo", "the file could not be read as a media container")
        }
        let format = root["format"] as? [String: Any] ?? [:]
        let streams = root["streams"] as? [[String: Any]] ?? []
        guard let video = streams.first(where: { $0["codec_type"] as? String == "video" && ($0["codec_name"] as? String) != nil }) else {
            if streams.contains(where: { $0["codec_type"] as? String == "audio" }) {
                throw MediaRejection("noVideo", "the file has sound but no video stream")
            }
            throw MediaRejection("notAVideo", "the file has no video stream")
        }
        let audio = streams.first { $0["codec_type"] as? String == "audio" }
        let codec = video["codec_name"] as? String ?? ""
        guard limits.videoCodecs.contains(codec) else {
            throw MediaRejection("unsupportedCodec", "the video codec \(codec) is not accepted (accepted: \(limits.videoCodecs.joined(separator: ", ")))")
        }
        var width = video["width"] as? Int ?? 0
        var height = video["height"] as? Int ?? 0
        if abs(rotation(video)) % 180 == 90 { swap(&width, &height) }
        guard width >= limits.minDimension, height >= limits.minDimension else {
            throw MediaRejection("tooSmall", "the video is \(width)×\(height); each side must be at least \(limits.minDimension) pixels")
        }
        guard width <= limits.maxDimension, height <= limits.maxDimension, width * height <= limits.maxPixels else {
            throw MediaRejection("tooLarge", "the video is \(width)×\(height); at most \(limits.maxDimension) pixels a side and \(limits.maxPixels) in all")
        }
        let seconds = Double(format["duration"] as? String ?? "") ?? 0
        guard seconds > 0, seconds.isFinite else { throw MediaRejection("noDuration", "the file does not say how long it is (truncated?)") }
        guard seconds <= Double(limits.maxDurationSeconds) else {
            throw MediaRejection("tooLong", "the video lasts \(Int(seconds)) s; at most \(limits.maxDurationSeconds) s is allowed")
        }
        let fps = rate(video["avg_frame_rate"] as? String) ?? rate(video["r_frame_rate"] as? String) ?? 30
        guard fps > 0, fps <= 240 else { throw MediaRejection("badFrameRate", "the frame rate \(fps) is outside 1...240") }
        return ProbedMedia(
            container: format["format_name"] as? String ?? "", durationMillis: UInt64((seconds * 1000).rounded()), videoCodec: codec,
            width: width, height: height, fps: fps, audioCodec: audio?["codec_name"] as? String)
    }

    static func rotation(_ stream: [String: Any]) -> Int {
        if let list = stream["side_data_list"] as? [[String: Any]] {
            for d in list { if let r = d["rotation"] as? Int { return r } }
        }
        if let tags = stream["tags"] as? [String: Any], let r = Int(tags["rotate"] as? String ?? "") { return r }
        return 0
    }

    static func rate(_ s: String?) -> Double? {
        guard let s else { return nil }
        let parts = s.split(separator: "/")
        guard parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), d > 0, n > 0 else { return nil }
        return n / d
    }
}
