import Foundation

// Samplers on SplitMix64 written out here (not the standard library's `random(in:using:)`, whose algorithm
// may change between releases), so a seed gives the same world in every process and toolchain.

extension SplitMix64 {
    /// A uniform integer in 0..<n.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next() % UInt64(n))
    }

    /// A uniform double in (0, 1): never exactly 0, so logarithms are finite.
    public mutating func open01() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }

    /// A standard normal (Box–Muller).
    public mutating func normal() -> Double {
        sqrt(-2 * log(open01())) * cos(2 * .pi * open01())
    }

    /// Gamma(shape, 1): Marsaglia–Tsang, with the shape-boost for shapes below 1.
    public mutating func gamma(_ shape: Double) -> Double {
        if shape < 1 { return gamma(shape + 1) * pow(open01(), 1 / shape) }
        let d = shape - 1.0 / 3.0
        let c = 1 / sqrt(9 * d)
        while true {
            var x: Double
            var v: Double
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = open01()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// Beta(a, b) from two gammas.
    public mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(a)
        let y = gamma(b)
        return x / (x + y)
    }

    /// A Dirichlet draw with the same concentration for each of `count` components.
    public mutating func dirichlet(count: Int, alpha: Double) -> [Double] {
        var g = (0..<count).map { _ in gamma(alpha) }
        let sum = g.reduce(0, +)
        if sum > 0 { for i in g.indices { g[i] /= sum } } else { g = [Double](repeating: 1 / Double(count), count: count) }
        return g
    }

    /// Poisson(λ) by multiplying uniforms (Knuth): λ here is below 1.
    public mutating func poisson(_ lambda: Double) -> Int {
        let limit = exp(-lambda)
        var k = 0
        var p = open01()
        while p > limit {
            k += 1
            p *= open01()
        }
        return k
    }

    /// True with probability p.
    public mutating func chance(_ p: Double) -> Bool { nextUnit() < p }
}
