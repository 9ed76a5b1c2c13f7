import Foundation
import ReelDomain
import ReelJournal

/// A sum of weights that halve every `halfLife`, by the events' `occurredAt`.
///
/// Stored as the value at `at` (the newest event time seen). An older event is added decayed to `at`, a newer
/// one moves `at` forward, so the fold is well defined for imports whose times arrive out of order. `exp2` of
/// the same inputs gives the same bits in every process on a platform, which the determinism contract needs.
public struct DecayedScore: MirroredFields, Hashable {
    /// Half-life one hour, as of `at`.
    public var hour: Double = 0
    /// Half-life one day, as of `at`.
    public var day: Double = 0
    /// The anchor the two values are as of: a multiple of `anchorPeriodMillis` at or before the newest
    /// addition, whose weight was grown by the time it came after the anchor (so `value(atMillis:)` is exact
    /// from the newest addition on).
    public var at: Int64 = 0

    public static let hourMillis: Double = 3_600_000
    public static let dayMillis: Double = 86_400_000
    /// Anchors move every eight hours: a weight grows at most 2^8 (hour) before the row is re-anchored.
    public static let anchorPeriodMillis: Int64 = 8 * 3_600_000

    /// The growth of a weight added at `t` relative to its anchor, shared by every row an event adds to:
    /// one pair of `exp2` per event, not per row (a watch adds to ten trending rows).
    public struct Growth {
        public let t: Int64
        public let anchor: Int64
        let hour: Double
        let day: Double

        public init(atMillis t: Int64) {
            self.t = t
            let p = DecayedScore.anchorPeriodMillis
            anchor = t >= 0 ? t / p * p : (t - p + 1) / p * p
            let dt = Double(t - anchor)
            hour = exp2(dt / DecayedScore.hourMillis)
            day = exp2(dt / DecayedScore.dayMillis)
        }
    }

    public mutating func add(_ weight: Double, atMillis t: Int64) { add(weight, Growth(atMillis: t)) }

    public mutating func add(_ weight: Double, _ g: Growth) {
        if at < g.anchor {
            if hour != 0 || day != 0 {
                let dt = Double(g.anchor - at)
                hour *= exp2(-dt / Self.hourMillis)
                day *= exp2(-dt / Self.dayMillis)
            }
            at = g.anchor
        } else if at > g.anchor {
            // Older than the row's anchor period (a late event): grown (shrunk) by its own time.
            let dt = Double(g.t - at)
            hour += weight * exp2(dt / Self.hourMillis)
            day += weight * exp2(dt / Self.dayMillis)
            return
        }
        hour += weight * g.hour
        day += weight * g.day
    }

    /// The two values decayed to `t` (never grown for a `t` before `at`).
    public func value(atMillis t: Int64) -> (hour: Double, day: Double) {
        guard t > at else { return (hour, day) }
        let dt = Double(t - at)
        return (hour * exp2(-dt / Self.hourMillis), day * exp2(-dt / Self.dayMillis))
    }

    public static func read(from r: inout ByteReader) throws(JournalError) -> DecayedScore {
        DecayedScore(hour: try r.get(), day: try r.get(), at: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(hour)
        w.put(day)
        w.put(at)
    }
}

/// An interest profile: weights over features (hashtags, creators, sounds) that decay with a half-life,
/// bounded to the strongest `capacity` features.
///
/// Every weight is as of the profile's `at`: adding at a later moment decays them all by one factor first.
/// One `exp2` per event instead of one per feature touched, and evicting the weakest is a plain minimum (with
/// a time per entry, each eviction decayed all 96 entries: the fold's largest single cost).
///
/// Features and weights are two parallel arrays rather than one array of pairs: the three scans of an addition
/// (decay all weights, search the features, find the weakest weight) each run over one contiguous array, in
/// vector registers and without data-dependent branches. Interest was 45 % of the fold's main lane, most of it
/// in this function's mispredicted binary search and pair-strided scans (decision 0019). The encoding and
/// the JSON are the pairs, as before.
public struct InterestProfile: PayloadValue, Hashable {
    public struct Entry: MirroredFields, Hashable {
        public var feature: UInt64
        /// The weight as of the profile's `at`.
        public var weight: Float

        public static func read(from r: inout ByteReader) throws(JournalError) -> Entry {
            Entry(feature: try r.get(), weight: try r.get())
        }
        public func write(to w: inout ByteWriter) {
            w.put(feature)
            w.put(weight)
        }
    }

    /// Ascending; `weights[i]` belongs to `features[i]`.
    public private(set) var features: [UInt64] = []
    /// As of `at`.
    public private(set) var weights: [Float] = []
    /// Milliseconds since the epoch the weights are as of.
    public var at: Int64 = 0

    public static let capacity = 96

    public init() {}

    /// Entries in ascending feature order (a feature listed twice keeps its last weight).
    public init(entries: [Entry], at: Int64) {
        for e in entries.sorted(by: { $0.feature < $1.feature }) {
            if features.last == e.feature {
                weights[weights.count - 1] = e.weight
            } else {
                features.append(e.feature)
                weights.append(e.weight)
            }
        }
        self.at = at
    }

    /// The features with their weights as of `at`, ascending by feature.
    public var entries: [Entry] { zip(features, weights).map { Entry(feature: $0, weight: $1) } }
    public var isEmpty: Bool { features.isEmpty }

    public mutating func add(_ feature: UInt64, _ signal: Float, atMillis t: Int64, halfLifeMillis: Double) {
        var signal = signal
        if t > at {
            if !weights.isEmpty {
                let factor = Float(exp2(-Double(t - at) / halfLifeMillis))
                weights.withUnsafeMutableBufferPointer { w in
                    for i in w.indices { w[i] *= factor }
                }
            }
            at = t
        } else if t < at {
            // A late event counts as decayed to the profile's moment.
            signal *= Float(exp2(-Double(at - t) / halfLifeMillis))
        }
        let (i, found) = features.sortedIndex(of: feature)
        if found {
            weights[i] += signal
        } else {
            features.insert(feature, at: i)
            weights.insert(signal, at: i)
            if features.count > Self.capacity { evictWeakest() }
        }
    }

    /// Drops the entry of smallest magnitude (ties: the smaller feature key, the first in order).
    private mutating func evictWeakest() {
        let weakest = weights.withUnsafeBufferPointer { Self.indexOfSmallestMagnitude($0) }
        features.remove(at: weakest)
        weights.remove(at: weakest)
    }

    /// The first index whose magnitude is the smallest: the minimum in four independent running minima (no
    /// branch, no chain of dependent comparisons), then the first element equal to it (weights are never NaN:
    /// signals and decay factors are finite).
    static func indexOfSmallestMagnitude(_ w: UnsafeBufferPointer<Float>) -> Int {
        var m = (Float.infinity, Float.infinity, Float.infinity, Float.infinity)
        var i = 0
        while i &+ 4 <= w.count {
            m.0 = min(m.0, abs(w[i]))
            m.1 = min(m.1, abs(w[i &+ 1]))
            m.2 = min(m.2, abs(w[i &+ 2]))
            m.3 = min(m.3, abs(w[i &+ 3]))
            i &+= 4
        }
        while i < w.count {
            m.0 = min(m.0, abs(w[i]))
            i &+= 1
        }
        let smallest = min(min(m.0, m.1), min(m.2, m.3))
        for j in w.indices where abs(w[j]) == smallest { return j }
        return 0
    }

    /// The factor that takes the weights from `at` to `t` (1 for a `t` before `at`: never grown).
    public func decay(to t: Int64, halfLifeMillis: Double) -> Double {
        t > at ? exp2(-Double(t - at) / halfLifeMillis) : 1
    }

    /// Features with their weights decayed to `t`, strongest first (ties by feature key).
    public func top(_ n: Int, atMillis t: Int64, halfLifeMillis: Double) -> [(feature: UInt64, weight: Float)] {
        let factor = Float(decay(to: t, halfLifeMillis: halfLifeMillis))
        return zip(features, weights).map { f, w in (f, w * factor) }
            .sorted { abs($0.1) != abs($1.1) ? abs($0.1) > abs($1.1) : $0.0 < $1.0 }
            .prefix(n).map { ($0.0, $0.1) }
    }

    /// The count, then each feature as its difference from the one before (the first from zero) with its
    /// weight's bits, then `at`. Features are the kind in the top byte and an id or a hash below: written whole,
    /// each took nine bytes; as differences in one kind, creators and sounds take one to three (views schema 3:
    /// interest was 71 % of the bytes a rebuild checkpoints, and its rows shrink by about a third).
    public static func read(from r: inout ByteReader) throws(JournalError) -> InterestProfile {
        let n = try r.readVarint()
        guard n <= UInt64(r.remaining) else { throw JournalError(.malformed, "a profile of \(n) features is longer than its \(r.remaining) bytes") }
        var p = InterestProfile()
        p.features.reserveCapacity(Int(n))
        p.weights.reserveCapacity(Int(n))
        var feature: UInt64 = 0
        for i in 0..<n {
            let delta = try r.readVarint()
            let (next, overflow) = feature.addingReportingOverflow(delta)
            guard !overflow, delta > 0 || i == 0 else {
                throw JournalError(.malformed, "interest features must ascend: a difference of \(delta) after \(feature)")
            }
            feature = next
            p.features.append(feature)
            p.weights.append(try r.get())
        }
        p.at = try r.get()
        return p
    }
    public func write(to w: inout ByteWriter) {
        w.writeVarint(UInt64(features.count))
        var previous: UInt64 = 0
        for i in features.indices {
            w.writeVarint(features[i] &- previous)
            w.put(weights[i])
            previous = features[i]
        }
        w.put(at)
    }

    public var json: JSONValue { .object([("entries", entries.json), ("at", at.json)]) }
}
