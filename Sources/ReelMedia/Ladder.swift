/// One rung of the adaptive ladder: an H.264 High encode at a fixed size and bit rate.
public struct Rung: Sendable, Hashable, Codable {
    /// "1080p", "720p"...: the short side, the way players label it.
    public var name: String
    public var width: Int
    public var height: Int
    /// Target video bit rate (bits per second); the VBV cap and buffer follow from it.
    public var videoBitrate: Int
    public init(name: String, width: Int, height: Int, videoBitrate: Int) {
        self.name = name
        self.width = width
        self.height = height
        self.videoBitrate = videoBitrate
    }
    public var maxrate: Int { videoBitrate * 107 / 100 }
    public var bufsize: Int { videoBitrate * 2 }
    /// H.264 level for this size at `fps` (level_idc, e.g. 31 for 3.1), from the macroblock limits of Annex A.
    public func level(fps: Double) -> Int { H264Level.lowest(width: width, height: height, fps: fps) }
}

/// The ladder for vertical short video: 1080×1920, 720×1280, 540×960, 360×640, never above the source.
/// Sizes follow the source's aspect ratio (the short side is the rung's name), rounded to even pixels.
public enum Ladder {
    /// Short side and video bit rate of each rung, top first.
    public static let standard: [(short: Int, bitrate: Int)] = [(1080, 4_500_000), (720, 2_500_000), (540, 1_400_000), (360, 700_000)]
    public static let audioBitrate = 128_000

    public static func rungs(sourceWidth w: Int, sourceHeight h: Int) -> [Rung] {
        let short = min(w, h), long = max(w, h)
        var out: [Rung] = []
        for (s, bitrate) in standard where s <= short {
            let scaledLong = even(Double(long) * Double(s) / Double(short))
            out.append(Rung(name: "\(s)p", width: w <= h ? s : scaledLong, height: w <= h ? scaledLong : s, videoBitrate: bitrate))
        }
        if out.isEmpty {
            // Smaller than the lowest rung: one rendition at the source size, at the lowest rung's rate scaled by area.
            let (ew, eh) = (even(Double(w)), even(Double(h)))
            let rate = max(150_000, standard.last!.bitrate * ew * eh / (360 * 640))
            out.append(Rung(name: "\(min(ew, eh))p", width: ew, height: eh, videoBitrate: rate))
        }
        return out
    }

    static func even(_ x: Double) -> Int { max(2, Int((x / 2).rounded()) * 2) }
}

/// The H.264 levels by their frame-size and macroblock-rate limits (ITU-T H.264 Table A-1).
enum H264Level {
    static let table: [(idc: Int, maxFrameMBs: Int, maxMBPerSecond: Int)] = [
        (30, 1_620, 40_500), (31, 3_600, 108_000), (32, 5_120, 216_000), (40, 8_192, 245_760), (42, 8_704, 522_240),
        (50, 22_080, 589_824), (51, 36_864, 983_040), (52, 36_864, 2_073_600),
    ]
    static func lowest(width: Int, height: Int, fps: Double) -> Int {
        let mbs = ((width + 15) / 16) * ((height + 15) / 16)
        let rate = Int((Double(mbs) * fps).rounded(.up))
        return table.first { mbs <= $0.maxFrameMBs && rate <= $0.maxMBPerSecond }?.idc ?? 52
    }
    /// The RFC 6381 codec string of a High-profile stream at this level ("avc1.64001f").
    static func codecs(level: Int) -> String {
        let hex = String(level, radix: 16)
        return "avc1.6400" + (hex.count == 1 ? "0" + hex : hex)
    }
}
