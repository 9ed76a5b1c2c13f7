import Foundation
import ReelDomain
import ReelJournal

/// A sum of weights that halve every `halfLife`, by the events' `occurredAt`.
///
/// Stored as the value at `at` (the newest event time seen). An older event is added decayed to `at`, a newer
/// one moves `at` forward, so the fold is well defined for imports whose times arrive out of order. `exp2` of
/// the same inputs gives the same bits in every process on a platform, which the determinism contract needs.
public struct DecayedScore: MirroredFields, Hashable {
    /// Half-life one hour.
    public var hour: Double = 0
    /// Half-life one day.
    public var day: Double = 0
    /// Milliseconds since the epoch the two values are as of.
    public var at: Int64 = 0

    public static let hourMillis: Double = 3_600_000
    public static let dayMillis: Double = 86_400_000

    public mutating func add(_ weight: Double, atMillis t: Int64) {
        if t > at {
            let dt = Double(t - at)
            hour *= exp2(-dt / Self.hourMillis)
            day *= exp2(-dt / Self.dayMillis)
            at = t
            hour += weight
            day += weight
        } else {
            let dt = Double(at - t)
            hour += weight * exp2(-dt / Self.hourMillis)
            day += weight * exp2(-dt / Self.dayMillis)
        }
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
public struct InterestProfile: MirroredFields, Hashable {
    public struct Entry: MirroredFields, Hashable {
        public var feature: UInt64
        public var weight: Float
        public var updatedAt: Int64

        public static func read(from r: inout ByteReader) throws(JournalError) -> Entry {
            Entry(feature: try r.get(), weight: try r.get(), updatedAt: try r.get())
        }
        public func write(to w: inout ByteWriter) {
            w.put(feature)
            w.put(weight)
            w.put(updatedAt)
        }
    }

    /// Sorted by feature.
    public var entries: [Entry] = []

    public static let capacity = 96

    public mutating func add(_ feature: UInt64, _ signal: Float, atMillis t: Int64, halfLifeMillis: Double) {
        var lo = 0
        var hi = entries.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if entries[mid].feature < feature { lo = mid + 1 } else { hi = mid }
        }
        if lo < entries.count && entries[lo].feature == feature {
            var e = entries[lo]
            if t > e.updatedAt {
                e.weight *= Float(exp2(-Double(t - e.updatedAt) / halfLifeMillis))
                e.updatedAt = t
            }
            e.weight += signal
            entries[lo] = e
        } else {
            entries.insert(Entry(feature: feature, weight: signal, updatedAt: t), at: lo)
            if entries.count > Self.capacity { evictWeakest(atMillis: t, halfLifeMillis: halfLifeMillis) }
        }
    }

    /// Drops the entry whose decayed magnitude is smallest (ties: the smaller feature key).
    private mutating func evictWeakest(atMillis t: Int64, halfLifeMillis: Double) {
        var weakest = 0
        var weakestValue = Float.infinity
        for (i, e) in entries.enumerated() {
            let v = abs(e.weight) * Float(exp2(-Double(max(0, t - e.updatedAt)) / halfLifeMillis))
            if v < weakestValue {
                weakest = i
                weakestValue = v
            }
        }
        entries.remove(at: weakest)
    }

    /// Features with their weights decayed to `t`, strongest first (ties by feature key).
    public func top(_ n: Int, atMillis t: Int64, halfLifeMillis: Double) -> [(feature: UInt64, weight: Float)] {
        entries.map { e in (e.feature, e.weight * Float(exp2(-Double(max(0, t - e.updatedAt)) / halfLifeMillis))) }
            .sorted { abs($0.1) != abs($1.1) ? abs($0.1) > abs($1.1) : $0.0 < $1.0 }
            .prefix(n).map { ($0.0, $0.1) }
    }

    public static func read(from r: inout ByteReader) throws(JournalError) -> InterestProfile {
        InterestProfile(entries: try r.get())
    }
    public func write(to w: inout ByteWriter) { w.put(entries) }
}
