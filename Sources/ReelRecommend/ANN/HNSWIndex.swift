import CReelPrefetch
import Foundation
import ReelDomain
import Synchronization

/// A hierarchical navigable small-world graph (Malkov & Yashunin 2018) over squared Euclidean distance, in Swift
/// with SIMD kernels. Vectors the recommender stores are unit length, so this ranks by cosine too.
///
/// Deterministic: a node's level comes from its label and the index seed (not from a global generator), the
/// graph only changes through `insert` and `remove` in the caller's order, and ties are broken by the order of
/// the code, so two processes that insert the same labels and vectors in the same order build byte-identical
/// graphs (`serialized()` compares them).
///
/// Concurrency: `insert` and `remove` need the index to themselves (the recommender's projection holds its
/// write lock); any number of `search` calls may run at once between them, each with scratch from a pool.
public final class HNSWIndex: @unchecked Sendable {
    public struct Parameters: Sendable, Hashable {
        /// Links per node on the upper levels; twice that on level 0.
        public var m: Int
        /// Width of the search while inserting.
        public var efConstruction: Int
        /// Seeds the level draw.
        public var seed: UInt64
        public init(m: Int = 16, efConstruction: Int = 40, seed: UInt64 = 0x5EED_4A55) {
            self.m = m
            self.efConstruction = efConstruction
            self.seed = seed
        }
    }

    public let dimension: Int
    public let parameters: Parameters
    /// Floats per stored vector (the dimension padded to 16).
    let rowFloats: Int
    let m0: Int
    let levelMultiplier: Double

    public internal(set) var count = 0
    public internal(set) var removedCount = 0
    var capacity = 0
    var vectors: UnsafeMutablePointer<Float>
    /// Level-0 adjacency: per node a count then `m0` slots.
    var links0: UnsafeMutablePointer<UInt32>
    /// Upper-level adjacency, for nodes above level 0: per level a count then `m` slots, at `upperOffset[node]`.
    var upperPool: UnsafeMutablePointer<UInt32>
    var upperCount = 0
    var upperCapacity = 0
    var upperOffset: [Int32] = []
    var levels: [UInt8] = []
    var labels: [UInt64] = []
    var removed: [Bool] = []
    /// Label → node; only looked up, never iterated (its order is per process).
    var nodeOfLabel: [UInt64: UInt32] = [:]
    var entryPoint: Int32 = -1
    var maxLevel = -1

    /// Scratch for inserts (which run alone).
    let buildScratch: SearchScratch
    /// Scratch for searches, one per concurrent search, reused.
    let searchScratch = Mutex<[SearchScratch]>([])

    public init(dimension: Int, parameters: Parameters = Parameters(), initialCapacity: Int = 1024) {
        precondition(dimension > 0 && parameters.m >= 2)
        self.dimension = dimension
        self.parameters = parameters
        rowFloats = VectorKernels.paddedDimension(dimension)
        m0 = parameters.m * 2
        levelMultiplier = 1 / log(Double(parameters.m))
        vectors = .allocate(capacity: 0)
        links0 = .allocate(capacity: 0)
        upperPool = .allocate(capacity: 0)
        buildScratch = SearchScratch(rowFloats: rowFloats, maxLinks: m0)
        reserve(initialCapacity)
    }

    deinit {
        vectors.deallocate()
        links0.deallocate()
        upperPool.deallocate()
    }

    /// Live (not removed) vectors.
    public var liveCount: Int { count - removedCount }

    public func contains(_ label: UInt64) -> Bool {
        guard let n = nodeOfLabel[label] else { return false }
        return !removed[Int(n)]
    }

    /// The stored vector of a label (without padding), if present.
    public func vector(of label: UInt64) -> [Float]? {
        guard let n = nodeOfLabel[label] else { return nil }
        return Array(UnsafeBufferPointer(start: vectors + Int(n) * rowFloats, count: dimension))
    }

    /// Runs `body` on the stored (padded) vector of a label without copying it; nil when absent.
    public func withVector<T>(of label: UInt64, _ body: (UnsafePointer<Float>) -> T) -> T? {
        guard let n = nodeOfLabel[label] else { return nil }
        return body(vectorPointer(n))
    }

    public func reserve(_ wanted: Int) {
        guard wanted > capacity else { return }
        let newCapacity = max(wanted, capacity * 2)
        let v = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * rowFloats)
        v.moveInitialize(from: vectors, count: count * rowFloats)
        vectors.deallocate()
        vectors = v
        let l = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity * (m0 + 1))
        l.moveInitialize(from: links0, count: count * (m0 + 1))
        links0.deallocate()
        links0 = l
        capacity = newCapacity
    }

    func appendUpper(zeros n: Int) {
        if upperCount + n > upperCapacity {
            let newCapacity = max(upperCount + n, upperCapacity * 2, 256)
            let p = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
            p.moveInitialize(from: upperPool, count: upperCount)
            upperPool.deallocate()
            upperPool = p
            upperCapacity = newCapacity
        }
        (upperPool + upperCount).initialize(repeating: 0, count: n)
        upperCount += n
    }

    /// The level a label's node lives up to: a geometric draw from the label and the seed.
    func level(for label: UInt64) -> Int {
        var g = SplitMix64(seed: label ^ parameters.seed)
        let u = g.nextUnitOpen()
        return min(Int(-log(u) * levelMultiplier), 30)
    }

    @inline(__always) func vectorPointer(_ node: UInt32) -> UnsafeMutablePointer<Float> { vectors + Int(node) &* rowFloats }

    @inline(__always) func distance(_ a: UnsafePointer<Float>, _ node: UInt32) -> Float {
        VectorKernels.squaredL2(a, vectorPointer(node), paddedDim: rowFloats)
    }

    /// The adjacency list of a node at a level: `[0]` is the count.
    @inline(__always) func links(_ node: UInt32, level: Int) -> UnsafeMutablePointer<UInt32> {
        if level == 0 { return links0 + Int(node) &* (m0 &+ 1) }
        return upperPool + Int(upperOffset[Int(node)]) + (level - 1) * (parameters.m + 1)
    }

    /// Adds a vector under a label. A label already present is left as it is (vectors are immutable: the
    /// recommender removes and re-adds under a new label if content changes). Returns whether it was added.
    @discardableResult
    public func insert(_ vector: [Float], label: UInt64) -> Bool {
        precondition(vector.count == dimension, "vector has \(vector.count) dimensions, the index \(dimension)")
        guard nodeOfLabel[label] == nil else { return false }
        reserve(count + 1)
        let node = UInt32(count)
        let nodeLevel = level(for: label)
        let v = vectorPointer(node)
        vector.withUnsafeBufferPointer { v.initialize(from: $0.baseAddress!, count: dimension) }
        (v + dimension).initialize(repeating: 0, count: rowFloats - dimension)
        // The whole row, not just its count: serialisation writes every slot, so none may hold stale memory.
        (links0 + Int(node) * (m0 + 1)).initialize(repeating: 0, count: m0 + 1)
        if nodeLevel > 0 {
            upperOffset.append(Int32(upperCount))
            appendUpper(zeros: nodeLevel * (parameters.m + 1))
        } else {
            upperOffset.append(-1)
        }
        levels.append(UInt8(nodeLevel))
        labels.append(label)
        removed.append(false)
        nodeOfLabel[label] = node
        count += 1

        buildScratch.ensureVisited(capacity)
        guard entryPoint >= 0 else {
            entryPoint = Int32(node)
            maxLevel = nodeLevel
            return true
        }
        var ep = UInt32(entryPoint)
        var epDistance = distance(v, ep)
        if maxLevel > nodeLevel {
            for l in stride(from: maxLevel, to: nodeLevel, by: -1) { greedy(v, &ep, &epDistance, level: l, scratch: buildScratch) }
        }
        for l in stride(from: min(nodeLevel, maxLevel), through: 0, by: -1) {
            let found = searchLayer(v, entry: ep, entryDistance: epDistance, ef: parameters.efConstruction, level: l, scratch: buildScratch, accept: nil)
            let chosen = selectNeighbours(found, max: parameters.m)
            let own = links(node, level: l)
            own[0] = UInt32(chosen.count)
            for (i, c) in chosen.enumerated() { own[i + 1] = c.1 }
            for c in chosen { connect(c.1, to: node, distance: c.0, level: l) }
            (epDistance, ep) = found[0]
        }
        if nodeLevel > maxLevel {
            maxLevel = nodeLevel
            entryPoint = Int32(node)
        }
        return true
    }

    /// Gives a label a new vector: the old node is marked removed (searches still pass through it) and a new
    /// node is linked in under the same label. For vectors that are learned and move; each update leaves one
    /// removed node behind, so callers update only when a vector has moved enough to matter.
    public func update(_ vector: [Float], label: UInt64) {
        if let n = nodeOfLabel[label] {
            if !removed[Int(n)] {
                removed[Int(n)] = true
                removedCount += 1
            }
            nodeOfLabel[label] = nil
        }
        insert(vector, label: label)
    }

    /// Marks a label removed: searches pass through its node (the graph stays connected) but never return it.
    @discardableResult
    public func remove(_ label: UInt64) -> Bool {
        guard let n = nodeOfLabel[label], !removed[Int(n)] else { return false }
        removed[Int(n)] = true
        removedCount += 1
        return true
    }

    /// The `k` nearest live labels to `query`, nearest first, searching with width `ef` (at least `k`);
    /// `accept` filters results (a rejected node is still walked through, so filtering keeps recall).
    public func search(_ query: [Float], k: Int, ef: Int, accept: ((UInt64) -> Bool)? = nil) -> [(label: UInt64, distance: Float)] {
        precondition(query.count == dimension, "query has \(query.count) dimensions, the index \(dimension)")
        guard entryPoint >= 0, k > 0 else { return [] }
        let scratch = searchScratch.withLock { $0.popLast() } ?? SearchScratch(rowFloats: rowFloats, maxLinks: m0)
        defer { searchScratch.withLock { $0.append(scratch) } }
        scratch.ensureVisited(capacity)
        let q = scratch.query
        query.withUnsafeBufferPointer { q.update(from: $0.baseAddress!, count: dimension) }
        var ep = UInt32(entryPoint)
        var epDistance = distance(q, ep)
        if maxLevel > 0 { for l in stride(from: maxLevel, to: 0, by: -1) { greedy(q, &ep, &epDistance, level: l, scratch: scratch) } }
        let found: [(Float, UInt32)]
        if accept == nil && removedCount == 0 {
            found = searchLayer(q, entry: ep, entryDistance: epDistance, ef: max(ef, k), level: 0, scratch: scratch, accept: nil)
        } else {
            // Local copies of the arrays (a reference each): reading a class's `var` from the closure would
            // pay an exclusivity check per node.
            let removed = self.removed
            let labels = self.labels
            found = searchLayer(q, entry: ep, entryDistance: epDistance, ef: max(ef, k), level: 0, scratch: scratch, labels: labels) { node in
                !removed[Int(node)] && (accept?(labels[Int(node)]) ?? true)
            }
        }
        let n = min(k, found.count)
        var out: [(label: UInt64, distance: Float)] = []
        out.reserveCapacity(n)
        for i in 0..<n { out.append((labels[Int(found[i].1)], found[i].0)) }
        return out
    }

    /// Moves `ep` to the closest node reachable greedily at `level`.
    func greedy(_ q: UnsafePointer<Float>, _ ep: inout UInt32, _ epDistance: inout Float, level: Int, scratch: SearchScratch) {
        var changed = true
        while changed {
            changed = false
            let l = links(ep, level: level)
            let n = Int(l[0])
            let distances = scratch.batchDistances
            measure(q, UnsafePointer(l + 1), count: n, into: distances)
            for i in 0..<n where distances[i] < epDistance {
                epDistance = distances[i]
                ep = l[i &+ 1]
                changed = true
            }
        }
    }

    /// Distances from `q` to `count` nodes, written in order. The vectors are asked for before any is read, so
    /// their cache misses overlap instead of queueing one after another (on a million vectors the search is
    /// memory-bound: perf put 60 % of it on the first load of each neighbour). The arithmetic is the kernel's,
    /// so the distances are the same bits as one at a time.
    @inline(__always)
    func measure(_ q: UnsafePointer<Float>, _ nodes: UnsafePointer<UInt32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        let rowBytes = rowFloats &* 4
        for j in 0..<count {
            let row = UnsafeRawPointer(vectorPointer(nodes[j]))
            var offset = 0
            while offset < rowBytes {
                reel_prefetch(row + offset)
                offset &+= 64
            }
        }
        for j in 0..<count { out[j] = distance(q, nodes[j]) }
    }

    /// The best `ef` nodes found from `entry` at `level`, nearest first. Only nodes `accept` admits enter the
    /// results; every node may be walked through.
    func searchLayer(
        _ q: UnsafePointer<Float>, entry: UInt32, entryDistance: Float, ef: Int, level: Int, scratch: SearchScratch, labels: [UInt64] = [],
        accept: ((UInt32) -> Bool)?
    ) -> [(Float, UInt32)] {
        let epoch = scratch.nextEpoch()
        let seen = scratch.visited
        let batch = scratch.batchNodes
        let distances = scratch.batchDistances
        var candidates = scratch.candidates
        var results = scratch.results
        defer {
            // The heaps may have grown (reallocated): hand the buffers back.
            scratch.candidates = candidates
            scratch.results = results
        }
        candidates.removeAll()
        results.removeAll()
        seen[Int(entry)] = epoch
        candidates.push(-entryDistance, entry)
        if accept?(entry) ?? true { results.push(entryDistance, entry) }
        var bound = results.isEmpty ? Float.infinity : entryDistance
        while !candidates.isEmpty {
            let (negative, current) = candidates.top
            if -negative > bound && results.count >= ef { break }
            candidates.pop()
            let l = links(current, level: level)
            let n = Int(l[0])
            // Gather the unvisited neighbours without a branch per neighbour (a mispredicted branch would
            // serialise the loads of the marks), then measure them all at once.
            for i in 0..<n { reel_prefetch(seen + Int(l[i &+ 1])) }
            var fresh = 0
            for i in 0..<n {
                let c = l[i &+ 1]
                let unseen = seen[Int(c)] != epoch
                seen[Int(c)] = epoch
                batch[fresh] = c
                fresh &+= unseen ? 1 : 0
            }
            if !labels.isEmpty {
                // The filter reads each node's label: ask for those too (8 MB of labels miss the cache).
                labels.withUnsafeBufferPointer { for j in 0..<fresh { reel_prefetch($0.baseAddress! + Int(batch[j])) } }
            }
            measure(q, UnsafePointer(batch), count: fresh, into: distances)
            for j in 0..<fresh {
                let c = batch[j]
                let d = distances[j]
                if results.count < ef || d < bound {
                    candidates.push(-d, c)
                    if accept?(c) ?? true {
                        results.push(d, c)
                        if results.count > ef { results.pop() }
                        bound = results.top.0
                    }
                }
            }
        }
        var out = [(Float, UInt32)](repeating: (0, 0), count: results.count)
        var i = results.count - 1
        while !results.isEmpty {
            out[i] = results.pop()
            i -= 1
        }
        return out
    }

    /// The paper's heuristic (algorithm 4): take candidates nearest first, keeping one only if it is nearer to
    /// the base than to every one kept, so links spread in directions instead of clustering.
    func selectNeighbours(_ sorted: [(Float, UInt32)], max: Int) -> [(Float, UInt32)] {
        if sorted.count <= max { return sorted }
        var kept: [(Float, UInt32)] = []
        kept.reserveCapacity(max)
        for c in sorted {
            let p = vectorPointer(c.1)
            var good = true
            for k in kept where VectorKernels.squaredL2(p, vectorPointer(k.1), paddedDim: rowFloats) < c.0 {
                good = false
                break
            }
            if good {
                kept.append(c)
                if kept.count == max { break }
            }
        }
        return kept
    }

    /// Adds a back link from `node` to `new`; a full list is re-chosen with the heuristic.
    func connect(_ node: UInt32, to new: UInt32, distance d: Float, level: Int) {
        let capacity = level == 0 ? m0 : parameters.m
        let l = links(node, level: level)
        let n = Int(l[0])
        if n < capacity {
            l[n + 1] = new
            l[0] = UInt32(n + 1)
            return
        }
        let base = vectorPointer(node)
        var all: [(Float, UInt32)] = [(d, new)]
        all.reserveCapacity(n + 1)
        for i in 0..<n { all.append((distance(base, l[i + 1]), l[i + 1])) }
        all.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        let chosen = selectNeighbours(all, max: capacity)
        let again = links(node, level: level)
        again[0] = UInt32(chosen.count)
        for (i, c) in chosen.enumerated() { again[i + 1] = c.1 }
        for i in chosen.count..<capacity { again[i + 1] = 0 }
    }
}

/// One search's working memory: visited marks (an epoch per node, so clearing is a counter bump; one byte per
/// node so a million marks fit in a megabyte of cache), the two heaps, the padded query and the batch of
/// neighbours being measured. Owned by one search at a time.
final class SearchScratch: @unchecked Sendable {
    private(set) var visited: UnsafeMutablePointer<UInt8>
    private var visitedCount = 0
    private var epoch: UInt8 = 0
    var candidates = DistanceHeap(capacity: 256)
    var results = DistanceHeap(capacity: 256)
    let query: UnsafeMutablePointer<Float>
    /// Room for one adjacency list's nodes and their distances.
    let batchNodes: UnsafeMutablePointer<UInt32>
    let batchDistances: UnsafeMutablePointer<Float>

    init(rowFloats: Int, maxLinks: Int) {
        visited = .allocate(capacity: 0)
        query = .allocate(capacity: rowFloats)
        query.initialize(repeating: 0, count: rowFloats)
        batchNodes = .allocate(capacity: maxLinks)
        batchNodes.initialize(repeating: 0, count: maxLinks)
        batchDistances = .allocate(capacity: maxLinks)
        batchDistances.initialize(repeating: 0, count: maxLinks)
    }

    deinit {
        visited.deallocate()
        query.deallocate()
        batchNodes.deallocate()
        batchDistances.deallocate()
        candidates.deallocate()
        results.deallocate()
    }

    /// Makes room for marks of `nodes` nodes (new slots unvisited).
    func ensureVisited(_ nodes: Int) {
        guard nodes > visitedCount else { return }
        let grown = max(nodes, visitedCount * 2)
        let v = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        v.moveInitialize(from: visited, count: visitedCount)
        (v + visitedCount).initialize(repeating: 0, count: grown - visitedCount)
        visited.deallocate()
        visited = v
        visitedCount = grown
    }

    /// A fresh epoch: every node reads as unvisited (marks are cleared only when the counter wraps, once in
    /// 255 searches).
    func nextEpoch() -> UInt8 {
        epoch &+= 1
        if epoch == 0 {
            visited.update(repeating: 0, count: visitedCount)
            epoch = 1
        }
        return epoch
    }
}

extension SplitMix64 {
    /// A uniform double in (0, 1), never 0 (for logarithms).
    mutating func nextUnitOpen() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }
}
