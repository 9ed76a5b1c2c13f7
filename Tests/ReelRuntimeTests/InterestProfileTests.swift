import Foundation
import PropertyBased
import ReelDomain
import ReelJournal
@testable import ReelViews
import Testing

/// The interest profile's arithmetic is part of the canonical views: its layout may change, its results may not.
@Suite struct InterestProfileTests {
    /// The profile as it was written before its features and weights became two arrays (an array of pairs, a
    /// branching binary search, a scan for the weakest): the reference the faster one must equal bit for bit.
    struct ReferenceProfile {
        var entries: [InterestProfile.Entry] = []
        var at: Int64 = 0

        mutating func add(_ feature: UInt64, _ signal: Float, atMillis t: Int64, halfLifeMillis: Double) {
            var signal = signal
            if t > at {
                if !entries.isEmpty {
                    let factor = Float(exp2(-Double(t - at) / halfLifeMillis))
                    for i in entries.indices { entries[i].weight *= factor }
                }
                at = t
            } else if t < at {
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
                entries.insert(.init(feature: feature, weight: signal), at: lo)
                if entries.count > InterestProfile.capacity {
                    var weakest = 0
                    var weakestValue = Float.infinity
                    for (i, e) in entries.enumerated() where abs(e.weight) < weakestValue {
                        weakest = i
                        weakestValue = abs(e.weight)
                    }
                    entries.remove(at: weakest)
                }
            }
        }
    }

    /// Random additions (few distinct features so weights collide and tie, many so the profile overflows and
    /// evicts; times that go forward, stand still and go back) give the reference's entries and encoding.
    @Test func additionsEqualTheReference() async {
        let addition = zip(Gen.uint64(in: 0...300), Gen.int64(in: -6...6), Gen.int64(in: -2_000_000...4_000_000))
        await propertyCheck(count: 200, input: addition.array(of: 0...600)) { additions in
            var fast = InterestProfile()
            var reference = ReferenceProfile()
            var t: Int64 = 1_700_000_000_000
            for (feature, signal, step) in additions {
                t += step
                // Signals of a few values so equal magnitudes (ties for eviction) are common.
                let s = Float(signal) * 0.5
                fast.add(feature, s, atMillis: t, halfLifeMillis: 3_600_000)
                reference.add(feature, s, atMillis: t, halfLifeMillis: 3_600_000)
            }
            #expect(fast.entries == reference.entries)
            #expect(fast.at == reference.at)
            var w = ByteWriter(capacity: 64)
            fast.write(to: &w)
            #expect(try! KeyedTable<InterestProfile>.decode(w.bytes) == fast)
        }
    }

    @Test func theWeakestIsTheFirstOfTheSmallestMagnitude() {
        let cases: [[Float]] = [
            [], [3], [-1, 1], [2, -0.5, 0.5, 0.5], Array(repeating: 1, count: 17), (0..<40).map { Float(40 - $0) } + [-1, 1],
            [0, -0.0], [-0.0, 0],
        ]
        for weights in cases where !weights.isEmpty {
            let expected = weights.indices.min { abs(weights[$0]) < abs(weights[$1]) || (abs(weights[$0]) == abs(weights[$1]) && $0 < $1) }!
            let got = weights.withUnsafeBufferPointer(InterestProfile.indexOfSmallestMagnitude)
            #expect(got == expected, "\(weights)")
        }
    }

    /// The encoding, byte for byte: features as differences (a golden value: a change here is a new views
    /// schema version).
    @Test func theEncodingIsDifferencesThenWeights() {
        let profile = InterestProfile(
            entries: [.init(feature: ViewKey.feature(.creator, 300), weight: 1), .init(feature: ViewKey.feature(.creator, 5), weight: -0.5)],
            at: 1_000)
        var w = ByteWriter(capacity: 32)
        profile.write(to: &w)
        // Two entries; creator 5 (0x0200000000000005: nine varint bytes) with -0.5, then +295 (two bytes) with
        // +1.0; then `at`, 1000 zigzagged (2000: two bytes).
        #expect(
            w.bytes == [
                0x02, 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 0x00, 0x00, 0x00, 0xBF,
                0xA7, 0x02, 0x00, 0x00, 0x80, 0x3F, 0xD0, 0x0F,
            ])
        #expect(try! KeyedTable<InterestProfile>.decode(w.bytes) == profile)
    }

    @Test func aProfileWhoseFeaturesDoNotAscendIsRejected() throws {
        func encoded(_ deltas: [UInt64]) -> [UInt8] {
            var w = ByteWriter(capacity: 32)
            w.writeVarint(UInt64(deltas.count))
            for d in deltas {
                w.writeVarint(d)
                w.put(Float(1))
            }
            w.put(Int64(0))
            return w.bytes
        }
        #expect(try KeyedTable<InterestProfile>.decode(encoded([9, 4])).features == [9, 13])
        #expect(throws: JournalError.self) { try KeyedTable<InterestProfile>.decode(encoded([9, 0])) }
        #expect(throws: JournalError.self) { try KeyedTable<InterestProfile>.decode(encoded([UInt64.max, 1])) }
        #expect(throws: JournalError.self) { try KeyedTable<InterestProfile>.decode(Array(encoded([9, 4]).dropLast(3))) }
    }

    @Test func sortedIndexIsTheLowerBound() async {
        await propertyCheck(count: 300, input: zip(Gen.uint64(in: 0...200).array(of: 0...70), Gen.uint64(in: 0...210))) { raw, value in
            let sorted = Array(Set(raw)).sorted()
            let lower = sorted.firstIndex { $0 >= value } ?? sorted.count
            let (index, found) = sorted.sortedIndex(of: value)
            #expect(index == lower)
            #expect(found == sorted.contains(value))
        }
    }
}
