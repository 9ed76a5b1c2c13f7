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
public struct InterestProfile: MirroredFields, Hashable {
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

    /// Sorted by feature.
    public var entries: [Entry] = []
    /// Milliseconds since the epoch the weights are as of.
    public var at: Int64 = 0

    public static let capacity = 96

    public mutating func add(_ feature: UInt64, _ signal: Float, atMillis t: Int64, halfLifeMillis: Double) {
        var signal = signal
        if t > at {
            if !entries.isEmpty {
                let factor = Float(exp2(-Double(t - at) / halfLifeMillis))
                for i in entries.indices { entries[i].weight *= factor }
            }
            at = t
        } else if t < at {
            // A late event counts as decayed to the profile's moment.
            signal *= Float(exp2(-Double(at - t) / halfLifeMillis))
        }
        var lo = 0
        var hi = entries.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if entries[mid].feature < feature { lo = mid + 1 } else { hi = mid }
        }
        if lo < entries.count && entries[lo].feature == feature {
            entries[lo].weight += signal
        } else {
            entries.insert(Entry(feature: feature, weight: signal), at: lo)
            if entries.count > Self.capacity { evictWeakest() }
        }
    }

    /// Drops the entry of smallest magnitude (ties: the smaller feature key, the first in order).
    private mutating func evictWeakest() {
        var weakest = 0
        var weakestValue = Float.infinity
        for (i, e) in entries.enumerated() where abs(e.weight) < weakestValue {
            weakest = i
            weakestValue = abs(e.weight)
        }
        entries.remove(at: weakest)
    }

    /// The factor that takes the weights from `at` to `t` (1 for a `t` before `at`: never grown).
    public func decay(to t: Int64, halfLifeMillis: Double) -> Double {
        t > at ? exp2(-Double(t - at) / halfLifeMillis) : 1
    }

    /// Features with their weights decayed to `t`, strongest first (ties by feature key).
    public func top(_ n: Int, atMillis t: Int64, halfLifeMillis: Double) -> [(feature: UInt64, weight: Float)] {
        let factor = Float(decay(to: t, halfLifeMillis: halfLifeMillis))
        return entries.map { e in (e.feature, e.weight * factor) }
            .sorted { abs($0.1) != abs($1.1) ? abs($0.1) > abs($1.1) : $0.0 < $1.0 }
            .prefix(n).map { ($0.0, $0.1) }
    }

    public static func read(from r: inout ByteReader) throws(JournalError) -> InterestProfile {
        InterestProfile(entries: try r.get(), at: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(entries)
        w.put(at)
    }
}
