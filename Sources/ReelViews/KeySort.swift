/// Ascending order for the keys a checkpoint or canonical digest writes: a least-significant-digit radix sort,
/// one pass per byte that differs among the keys.
///
/// Every checkpoint sorts its changed keys and every complete one all keys (about 8 million keys in a rebuild
/// of `reel bench views`); the standard library's stable comparison sort was a third of a table's encoding.
/// Keys are composed (a region or kind in the top bits, an id below), so most of their eight bytes are the same
/// in every key and cost no pass.
enum KeySort {
    static func ascending(_ keys: [UInt64]) -> [UInt64] {
        guard keys.count > 256 else { return keys.sorted() }
        var orBits: UInt64 = 0
        var andBits: UInt64 = ~0
        for k in keys {
            orBits |= k
            andBits &= k
        }
        let varying = orBits ^ andBits
        var a = keys
        var b = [UInt64](repeating: 0, count: keys.count)
        var resultInA = true
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { offsets in
                    for shift in stride(from: 0, to: 64, by: 8) where (varying >> UInt64(shift)) & 0xFF != 0 {
                        let (source, target) = resultInA ? (pa, pb) : (pb, pa)
                        offsets.initialize(repeating: 0)
                        for k in source { offsets[Int(truncatingIfNeeded: k >> UInt64(shift)) & 0xFF] &+= 1 }
                        var total = 0
                        for d in 0..<256 {
                            let n = offsets[d]
                            offsets[d] = total
                            total &+= n
                        }
                        for k in source {
                            let d = Int(truncatingIfNeeded: k >> UInt64(shift)) & 0xFF
                            target[offsets[d]] = k
                            offsets[d] &+= 1
                        }
                        resultInA.toggle()
                    }
                }
            }
        }
        return resultInA ? a : b
    }

    /// Ascending, each key once.
    static func ascendingUnique(_ keys: [UInt64]) -> [UInt64] {
        var sorted = ascending(keys)
        guard sorted.count > 1 else { return sorted }
        var kept = 1
        for i in 1..<sorted.count where sorted[i] != sorted[kept - 1] {
            sorted[kept] = sorted[i]
            kept += 1
        }
        sorted.removeLast(sorted.count - kept)
        return sorted
    }
}
