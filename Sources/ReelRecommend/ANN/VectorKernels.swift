/// Distance kernels over vectors padded to a multiple of 16 floats (the index pads every stored vector and
/// every query), so the loops need no scalar tail. Two accumulators keep two SIMD adds in flight. Multiply
/// then add, never `addingProduct`: without FMA in the baseline target that is a libm call per lane (measured
/// 3× slower).
///
/// The summation order is fixed by this code, so the same vectors give the same bits in every process on the
/// same machine: the index's choices (and so the recommender's) replay exactly.
public enum VectorKernels {
    /// Rounds a dimension up to the kernels' stride.
    @inlinable public static func paddedDimension(_ dim: Int) -> Int { (dim + 15) & ~15 }

    /// Squared Euclidean distance; `paddedDim` must be a multiple of 16.
    @inlinable @inline(__always)
    public static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, paddedDim: Int) -> Float {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var acc0 = SIMD16<Float>()
        var acc1 = SIMD16<Float>()
        var offset = 0
        let bytes = paddedDim &* 4
        while offset &+ 128 <= bytes {
            let d0 = ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) - rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            let d1 =
                ra.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
                - rb.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
            acc0 += d0 * d0
            acc1 += d1 * d1
            offset &+= 128
        }
        if offset < bytes {
            let d0 = ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) - rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            acc0 += d0 * d0
        }
        return (acc0 + acc1).sum()
    }

    /// Inner product; `paddedDim` must be a multiple of 16.
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, paddedDim: Int) -> Float {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var acc = SIMD16<Float>()
        var offset = 0
        let bytes = paddedDim &* 4
        while offset < bytes {
            acc += ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            offset &+= 64
        }
        return acc.sum()
    }

    /// The same distance on plain arrays (tests, brute force), scalar reference for the SIMD kernel.
    public static func squaredL2Reference(_ a: [Float], _ b: [Float]) -> Float {
        var s: Float = 0
        for i in 0..<min(a.count, b.count) { s += (a[i] - b[i]) * (a[i] - b[i]) }
        return s
    }
}
