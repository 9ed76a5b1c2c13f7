/// A rendition's measured facts, read back from what ffmpeg wrote, for the master playlist.
public struct RenditionStats: Sendable, Hashable, Codable {
    public var rung: Rung
    public var segments: Int
    public var seconds: Double
    /// Peak segment bit rate (bits per second): `BANDWIDTH`.
    public var peakBitrate: Int
    /// Mean bit rate over the whole rendition: `AVERAGE-BANDWIDTH`.
    public var averageBitrate: Int
    public var codecs: String
}

public enum Playlists {
    /// The `#EXTINF` durations and segment names of a media playlist, in order.
    public static func segments(mediaPlaylist text: String) -> [(name: String, seconds: Double)] {
        var out: [(String, Double)] = []
        var pending: Double?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#EXTINF:") {
                pending = Double(line.dropFirst(8).prefix { $0 != "," })
            } else if !line.isEmpty, !line.hasPrefix("#"), let d = pending {
                out.append((line, d))
                pending = nil
            }
        }
        return out
    }

    /// Peak and average bit rates from segment durations and byte sizes (the TS overhead included, as a
    /// player downloads it).
    public static func stats(rung: Rung, segments: [(seconds: Double, bytes: Int)], codecs: String) -> RenditionStats {
        let seconds = segments.reduce(0) { $0 + $1.seconds }
        let bytes = segments.reduce(0) { $0 + $1.bytes }
        let peak = segments.map { $0.seconds > 0 ? Double($0.bytes * 8) / $0.seconds : 0 }.max() ?? 0
        let average = seconds > 0 ? Double(bytes * 8) / seconds : 0
        return RenditionStats(
            rung: rung, segments: segments.count, seconds: seconds, peakBitrate: Int(peak.rounded(.up)), averageBitrate: Int(average.rounded(.up)),
            codecs: codecs)
    }

    /// The master playlist, best rung first (players pick by `BANDWIDTH`, but some start with the first).
    public static func master(_ renditions: [RenditionStats], frameRate: Double) -> String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
        for r in renditions {
            lines.append(
                "#EXT-X-STREAM-INF:BANDWIDTH=\(r.peakBitrate),AVERAGE-BANDWIDTH=\(r.averageBitrate),CODECS=\"\(r.codecs)\","
                    + "RESOLUTION=\(r.rung.width)x\(r.rung.height),FRAME-RATE=\(frameRateString(frameRate))")
            lines.append("\(r.rung.name)/index.m3u8")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func frameRateString(_ fps: Double) -> String {
        let thousandths = Int((fps * 1000).rounded())
        return "\(thousandths / 1000).\(String(thousandths % 1000 + 1000).dropFirst())"
    }
}
