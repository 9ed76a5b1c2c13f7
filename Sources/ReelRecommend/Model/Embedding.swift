import ReelDomain

/// The embedding space every recommender vector lives in: a video's content vector is the normalised sum of
/// fixed pseudo-random directions, one per content feature (hashtags, sound, creator); its
/// collaborative part is the mean of the vectors of viewers who engaged with it; a viewer's vectors are decayed
/// sums of the vectors of what they engaged with. Cosine similarity in this space is the candidate generators'
/// and the coarse scorer's affinity.
///
/// A feature's direction is a function of its key alone (SplitMix64 seeded by the key), never of a process-seeded
/// hash, so every process derives the same vectors.
public enum Embedding {
    public static let dimension = 64

    /// Feature-key namespaces (top byte), so a hashtag and a creator with the same number differ.
    public enum Kind: UInt64 { case hashtag = 1, creator = 2, sound = 3, word = 4 }

    public static func key(_ kind: Kind, _ id: UInt64) -> UInt64 { kind.rawValue << 56 | (id & 0x00FF_FFFF_FFFF_FFFF) }

    /// The fixed direction of one feature (unit length).
    public static func direction(_ key: UInt64) -> [Float] {
        var g = SplitMix64(seed: key ^ 0xE3B0_C442_98FC_1C14)
        var v = (0..<dimension).map { _ in Float(g.normal()) }
        normalise(&v)
        return v
    }

    /// Content vector from weighted feature keys (hashtags weigh more than caption words).
    public static func content(_ features: [(key: UInt64, weight: Float)]) -> [Float] {
        var v = [Float](repeating: 0, count: dimension)
        for f in features {
            let d = direction(f.key)
            for i in 0..<dimension { v[i] += f.weight * d[i] }
        }
        normalise(&v)
        return v
    }

    /// Scales to unit length; the zero vector stays zero.
    public static func normalise(_ v: inout [Float]) {
        var s: Float = 0
        for x in v { s += x * x }
        guard s > 0 else { return }
        let inv = 1 / s.squareRoot()
        for i in v.indices { v[i] *= inv }
    }

    public static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var s: Float = 0
        for i in 0..<min(a.count, b.count) { s += a[i] * b[i] }
        return s
    }

    public static func norm(_ a: [Float]) -> Float { dot(a, a).squareRoot() }

    /// Cosine similarity; 0 when either is zero.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let n = norm(a) * norm(b)
        return n > 0 ? dot(a, b) / n : 0
    }

    /// `a += w × b`.
    public static func add(_ a: inout [Float], _ b: [Float], weight w: Float) {
        for i in 0..<min(a.count, b.count) { a[i] += w * b[i] }
    }

    /// `a *= s`.
    public static func scale(_ a: inout [Float], _ s: Float) {
        for i in a.indices { a[i] *= s }
    }

    /// Caption words worth embedding: lower-cased letters and digits, 3 to 24 characters, at most 12.
    public static func words(_ caption: String) -> [String] {
        var out: [String] = []
        for w in caption.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) where (3...24).contains(w.count) {
            let s = String(w)
            if !out.contains(s) { out.append(s) }
            if out.count == 12 { break }
        }
        return out
    }
}
