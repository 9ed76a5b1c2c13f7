import Foundation
import ReelDomain

/// A set of equal-length vectors, row after row.
public struct VectorSet: Sendable {
    public var dimension: Int
    public var values: [Float]
    public var count: Int { dimension == 0 ? 0 : values.count / dimension }
    public init(dimension: Int, values: [Float]) {
        self.dimension = dimension
        self.values = values
    }
    public func row(_ i: Int) -> ArraySlice<Float> { values[(i * dimension)..<((i + 1) * dimension)] }
}

/// The standard `.fvecs` / `.ivecs` formats (TEXMEX, FAISS): each row a little-endian Int32 dimension, then
/// that many Float32 (or Int32) values.
public enum VectorFiles {
    public static func readFvecs(_ path: String, limit: Int? = nil) throws -> VectorSet {
        let (d, raw) = try read(path, limit: limit)
        return VectorSet(dimension: d, values: raw.map { Float(bitPattern: $0) })
    }

    /// Rows of Int32 (ground-truth neighbour ids).
    public static func readIvecs(_ path: String, limit: Int? = nil) throws -> [[Int]] {
        let (d, raw) = try read(path, limit: limit)
        guard d > 0 else { return [] }
        return stride(from: 0, to: raw.count, by: d).map { raw[$0..<($0 + d)].map { Int(Int32(bitPattern: $0)) } }
    }

    public static func writeFvecs(_ set: VectorSet, to path: String) throws {
        var data = Data(capacity: set.count * (set.dimension + 1) * 4)
        for i in 0..<set.count {
            appendLE(&data, UInt32(set.dimension))
            for v in set.row(i) { appendLE(&data, v.bitPattern) }
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    public static func writeIvecs(_ rows: [[Int]], to path: String) throws {
        var data = Data()
        for row in rows {
            appendLE(&data, UInt32(row.count))
            for v in row { appendLE(&data, UInt32(bitPattern: Int32(v))) }
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    private static func appendLE(_ data: inout Data, _ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func read(_ path: String, limit: Int?) throws -> (Int, [UInt32]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelFileError("cannot read \(path)") }
        guard data.count >= 4 else { throw ModelFileError("\(path) is empty") }
        return try data.withUnsafeBytes { raw -> (Int, [UInt32]) in
            let d = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
            let rowBytes = 4 * (d + 1)
            guard d > 0, d <= 1 << 16, data.count % rowBytes == 0 else {
                throw ModelFileError("\(path) is not a vecs file (dimension \(d), \(data.count) bytes is not a whole number of rows)")
            }
            let rows = min(data.count / rowBytes, limit ?? .max)
            var out = [UInt32](repeating: 0, count: rows * d)
            for r in 0..<rows {
                guard UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: r * rowBytes, as: UInt32.self)) == d else {
                    throw ModelFileError("\(path): row \(r) has another dimension than \(d)")
                }
                for j in 0..<d { out[r * d + j] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: r * rowBytes + 4 + 4 * j, as: UInt32.self)) }
            }
            return (d, out)
        }
    }
}

/// Clustered synthetic vectors for the ANN benchmark when no files are given, shaped like learned embeddings:
/// Gaussian clusters in a `latent`-dimensional space, mapped to `dimension` by one fixed random linear map, plus
/// a little isotropic noise (uniform points are unrealistically hard, one blob unrealistically easy).
public enum SyntheticVectors {
    public static func clustered(count: Int, dimension: Int, latent: Int = 16, clusters: Int = 1000, spread: Double = 0.5, noise: Double = 0.05,
                                 seed: UInt64) -> VectorSet
    {
        var g0 = SplitMix64(seed: seed)
        let centres = (0..<(clusters * latent)).map { _ in g0.normal() }
        let map = (0..<(latent * dimension)).map { _ in g0.normal() / Double(latent).squareRoot() }
        var values = [Float](repeating: 0, count: count * dimension)
        var z = [Double](repeating: 0, count: latent)
        for i in 0..<count {
            var g = SplitMix64(seed: SplitMix64.mix(seed ^ 0xC1A5, UInt64(i)))
            let k = Int(g.next() % UInt64(clusters))
            for a in 0..<latent { z[a] = centres[k * latent + a] + spread * g.normal() }
            for j in 0..<dimension {
                var x = noise * g.normal()
                for a in 0..<latent { x += map[a * dimension + j] * z[a] }
                values[i * dimension + j] = Float(x)
            }
        }
        return VectorSet(dimension: dimension, values: values)
    }

    /// The exact `k` nearest rows of `base` to each query (squared Euclidean), on every core.
    public static func groundTruth(base: VectorSet, queries: VectorSet, k: Int) -> [[Int]] {
        let stride = VectorKernels.paddedDimension(base.dimension)
        var padded = [Float](repeating: 0, count: base.count * stride)
        for i in 0..<base.count { for j in 0..<base.dimension { padded[i * stride + j] = base.values[i * base.dimension + j] } }
        let out = UnsafeMutableBufferPointer<[Int]>.allocate(capacity: queries.count)
        out.initialize(repeating: [])
        defer { out.deallocate() }
        padded.withUnsafeBufferPointer { buffer in
            // Each iteration writes only its own slot of `out`.
            nonisolated(unsafe) let b = buffer
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: queries.count) { qi in
                var q = [Float](repeating: 0, count: stride)
                for j in 0..<queries.dimension { q[j] = queries.values[qi * queries.dimension + j] }
                var best: [(Float, Int)] = []
                q.withUnsafeBufferPointer { qp in
                    for i in 0..<base.count {
                        let d = VectorKernels.squaredL2(qp.baseAddress!, b.baseAddress! + i * stride, paddedDim: stride)
                        if best.count < k || d < best[best.count - 1].0 {
                            let at = best.firstIndex { $0.0 > d } ?? best.count
                            best.insert((d, i), at: at)
                            if best.count > k { best.removeLast() }
                        }
                    }
                }
                out[qi] = best.map(\.1)
            }
        }
        return Array(out)
    }
}
