/// dHash: a 64-bit perceptual hash of a frame shrunk to 9×8 grey pixels, one bit per horizontally adjacent
/// pair (is the left pixel brighter?). Re-encoding, rescaling and small colour changes flip few bits, so two
/// copies of the same clip stay within a small Hamming distance frame by frame.
public enum PerceptualHash {
    public static let frameBytes = 9 * 8

    /// One hash per 72-byte frame of 9×8 8-bit grey pixels (a trailing partial frame is ignored).
    public static func dHashes(grey: [UInt8]) -> [UInt64] {
        stride(from: 0, to: grey.count - frameBytes + 1, by: frameBytes).map { dHash(grey[$0..<($0 + frameBytes)]) }
    }

    public static func dHash(_ frame: ArraySlice<UInt8>) -> UInt64 {
        precondition(frame.count == frameBytes, "a dHash frame is 9×8 pixels")
        var hash: UInt64 = 0
        let base = frame.startIndex
        for row in 0..<8 {
            for col in 0..<8 {
                let left = frame[base + row * 9 + col], right = frame[base + row * 9 + col + 1]
                hash = hash << 1 | (left > right ? 1 : 0)
            }
        }
        return hash
    }

    public static func distance(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).nonzeroBitCount }

    /// Whether `candidate` is a near-duplicate of `original`: over the seconds both have (allowing the copy
    /// to start up to `maxShift` seconds later or earlier), at least `minMatchingFraction` of the frames are
    /// within `maxDistance` bits. Clips shorter than `minFrames` seconds are never called duplicates: too
    /// little evidence.
    public static func isNearDuplicate(
        _ candidate: [UInt64], of original: [UInt64], maxDistance: Int = 10, minMatchingFraction: Double = 0.8, maxShift: Int = 1,
        minFrames: Int = 3
    ) -> Bool {
        bestMatchingFraction(candidate, original, maxDistance: maxDistance, maxShift: maxShift, minFrames: minFrames) >= minMatchingFraction
    }

    static func bestMatchingFraction(_ a: [UInt64], _ b: [UInt64], maxDistance: Int, maxShift: Int, minFrames: Int) -> Double {
        var best = 0.0
        for shift in -maxShift...maxShift {
            let pairs = (0..<a.count).compactMap { i -> (UInt64, UInt64)? in
                let j = i + shift
                return j >= 0 && j < b.count ? (a[i], b[j]) : nil
            }
            guard pairs.count >= minFrames, pairs.count * 2 >= min(a.count, b.count) else { continue }
            let matching = pairs.filter { distance($0.0, $0.1) <= maxDistance }.count
            best = max(best, Double(matching) / Double(pairs.count))
        }
        return best
    }
}

/// Chromaprint's raw fingerprint: one 32-bit word per ~0.124 s of audio. Two recordings of the same sound
/// differ in few bits at the right alignment, so similarity is one minus the bit error rate at the best
/// offset.
public enum AudioFingerprint {
    /// Little-endian 32-bit words, as ffmpeg's chromaprint muxer writes with `-fp_format raw`.
    public static func words(raw: [UInt8]) -> [UInt32] {
        stride(from: 0, to: raw.count - 3, by: 4).map {
            UInt32(raw[$0]) | UInt32(raw[$0 + 1]) << 8 | UInt32(raw[$0 + 2]) << 16 | UInt32(raw[$0 + 3]) << 24
        }
    }

    /// The fraction of equal bits at the best alignment (shifting either by up to `maxOffset` words, about
    /// 1.5 s for 12), over at least `minOverlap` words; 0 when they do not overlap that much.
    public static func similarity(_ a: [UInt32], _ b: [UInt32], maxOffset: Int = 12, minOverlap: Int = 16) -> Double {
        var best = 0.0
        for offset in -maxOffset...maxOffset {
            var differing = 0, compared = 0
            var i = max(0, -offset)
            while i < a.count, i + offset < b.count {
                differing += (a[i] ^ b[i + offset]).nonzeroBitCount
                compared += 1
                i += 1
            }
            guard compared >= minOverlap else { continue }
            best = max(best, 1 - Double(differing) / Double(compared * 32))
        }
        return best
    }

    /// Same sound: similarity at or above `threshold`. Unrelated audio sits near 0.5 (random bits agree half
    /// the time); a re-encode of the same audio is typically above 0.9.
    public static let sameSoundThreshold = 0.8

    public static func isSameSound(_ a: [UInt32], _ b: [UInt32], threshold: Double = sameSoundThreshold) -> Bool {
        similarity(a, b) >= threshold
    }
}

/// Scene cuts from ffmpeg's `metadata=print` output of frames whose scene score passed the threshold.
public enum SceneCuts {
    /// The `pts_time` of each printed frame, in milliseconds, ascending.
    public static func parse(_ text: String) -> [UInt64] {
        text.split(separator: "\n").compactMap { line -> UInt64? in
            guard let r = line.range(of: "pts_time:") else { return nil }
            let value = line[r.upperBound...].prefix { $0 == "." || $0.isNumber }
            guard let seconds = Double(value), seconds >= 0 else { return nil }
            return UInt64((seconds * 1000).rounded())
        }.sorted()
    }
}
