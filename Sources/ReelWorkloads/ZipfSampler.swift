/// Samples ranks 0..<n with probability proportional to 1 / (rank + 1)^exponent, by inverting a
/// precomputed cumulative table (binary search: O(log n) per draw, 8 bytes per rank).
public struct ZipfSampler: Sendable {
    public let count: Int
    public let exponent: Double
    private let cumulative: [Double]

    public init(count: Int, exponent: Double) {
        precondition(count > 0)
        self.count = count
        self.exponent = exponent
        var c = [Double](repeating: 0, count: count)
        var total = 0.0
        for i in 0..<count {
            total += 1.0 / Double(i + 1).pow(exponent)
            c[i] = total
        }
        for i in 0..<count { c[i] /= total }
        cumulative = c
    }

    /// The probability of `rank`.
    public func probability(_ rank: Int) -> Double {
        rank == 0 ? cumulative[0] : cumulative[rank] - cumulative[rank - 1]
    }

    public func sample(_ u: Double) -> Int {
        var lo = 0
        var hi = count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public func sample(using g: inout SplitMix64) -> Int { sample(g.nextUnit()) }
}

extension Double {
    fileprivate func pow(_ e: Double) -> Double { e == 1 ? self : Foundation.pow(self, e) }
}

import Foundation
