import Foundation

/// Time-decayed engagement for one region, bounded: scores live in log₂ space relative to a fixed epoch
/// (`log2(Σ wᵢ · 2^(tᵢ/halfLife))`), so a newer event outweighs an older one without rescaling anything,
/// and comparing two videos' stored scores compares their decayed scores at any common moment.
///
/// The board keeps at most `capacity` videos: when full, it drops the lower half (by score, then id) and
/// refreshes `top`, the ranked list the pipeline reads. `top` is therefore at most `capacity / 2` insertions
/// stale, which is fine for trending and keeps each feed request from sorting anything.
public struct TrendingBoard: Sendable, Hashable {
    public static let halfLifeMillis = 3_600_000.0
    public static let capacity = 4_096
    public static let topCount = 512
    public internal(set) var scores: [UInt64: Double] = [:]
    /// Best first.
    public internal(set) var top: [UInt64] = []
    var sinceRefresh = 0

    public init() {}

    public mutating func add(_ video: UInt64, weight: Double, at now: Int64) {
        let x = log2(weight) + Double(now) / Self.halfLifeMillis
        if let old = scores[video] {
            let (hi, lo) = old > x ? (old, x) : (x, old)
            scores[video] = hi + log2(1 + exp2(lo - hi))
        } else {
            scores[video] = x
        }
        sinceRefresh += 1
        if scores.count > Self.capacity {
            let kept = ranked().prefix(Self.capacity / 2)
            scores = Dictionary(uniqueKeysWithValues: kept.map { ($0, scores[$0]!) })
            refresh()
        } else if sinceRefresh >= 256 || top.count < Self.topCount && top.count < scores.count {
            refresh()
        }
    }

    public mutating func refresh() {
        top = Array(ranked().prefix(Self.topCount))
        sinceRefresh = 0
    }

    func ranked() -> [UInt64] {
        scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
    }
}
