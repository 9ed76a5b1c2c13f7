import Foundation
import ReelDomain
import ReelWorkloads

/// How a simulated viewer responds to one impression: the pinned formulas of the simulated world
/// (`Docs/Decisions/0007-simulated-world.md`; changing a number needs a decision record).
public enum ResponseModel {
    /// What one impression led to.
    public struct Outcome: Sendable, Hashable {
        /// Watched fraction of the video, loops included (1.8 = one full play and 80 % of a second).
        public var fraction: Double
        public var loops: Int
        public var skipped: Bool
        public var liked: Bool
        public var shared: Bool
        public var followed: Bool
        public func watchMillis(duration: UInt64) -> UInt64 { UInt64((fraction * Double(duration)).rounded()) }
        /// Watched to the end at least once.
        public var completed: Bool { fraction >= 1 }
    }

    /// a = (mean taste over the video's tags) × 111, clipped to [0, 3], plus 1 for a favourite creator.
    public static func affinity(taste: [Double], tags: [Int], favourite: Bool) -> Double {
        let mean = tags.isEmpty ? 0 : tags.reduce(0) { $0 + taste[$1] } / Double(tags.count)
        return min(3, max(0, mean * Double(Catalogue.tagCount))) + (favourite ? 1 : 0)
    }

    /// f = sigmoid(1.5·a + 2·q − 2.5): the expected watch fraction.
    public static func expectedFraction(affinity a: Double, quality q: Double) -> Double {
        1 / (1 + exp(-(1.5 * a + 2 * q - 2.5)))
    }

    /// The expected watched fraction with loops: f · (1 + E[loops]), E[loops] = 0.3·f when f > 0.8.
    public static func expectedWatch(_ f: Double) -> Double { f * (1 + (f > 0.8 ? 0.3 * f : 0)) }

    /// Draws the response: fraction ~ Beta(mean f, concentration 8) × (1 + loops), loops ~ Poisson(0.3·f) when
    /// f > 0.8; a skip below 0.2; like with 0.25·f², share with 0.05·f², follow with 0.02·f when not following.
    public static func respond(expected f: Double, following: Bool, using g: inout SplitMix64) -> Outcome {
        let concentration = 8.0
        let mean = min(max(f, 1e-6), 1 - 1e-6)
        let base = g.beta(mean * concentration, (1 - mean) * concentration)
        let loops = f > 0.8 ? g.poisson(0.3 * f) : 0
        let fraction = base * Double(1 + loops)
        let skipped = fraction < 0.2
        let liked = g.chance(0.25 * f * f)
        let shared = g.chance(0.05 * f * f)
        let followed = !following && g.chance(0.02 * f)
        return Outcome(fraction: fraction, loops: loops, skipped: skipped, liked: liked, shared: shared, followed: followed)
    }
}
