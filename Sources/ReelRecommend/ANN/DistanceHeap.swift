/// A binary max-heap of (distance, node) on one manually managed buffer, reused across searches so the hot
/// loop allocates nothing. A min-heap is this heap with negated distances.
struct DistanceHeap {
    private(set) var storage: UnsafeMutablePointer<(Float, UInt32)>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(16, capacity)
        storage = .allocate(capacity: self.capacity)
    }

    func deallocate() { storage.deallocate() }

    var isEmpty: Bool { count == 0 }
    var top: (Float, UInt32) { storage[0] }

    mutating func removeAll() { count = 0 }

    @inline(__always)
    mutating func push(_ distance: Float, _ node: UInt32) {
        if count == capacity { grow() }
        var i = count
        count &+= 1
        while i > 0 {
            let parent = (i &- 1) >> 1
            let p = storage[parent]
            if p.0 >= distance { break }
            storage[i] = p
            i = parent
        }
        storage[i] = (distance, node)
    }

    @inline(__always) @discardableResult
    mutating func pop() -> (Float, UInt32) {
        let result = storage[0]
        count &-= 1
        if count == 0 { return result }
        let last = storage[count]
        var i = 0
        while true {
            let left = 2 &* i &+ 1
            if left >= count { break }
            let right = left &+ 1
            var child = left
            if right < count && storage[right].0 > storage[left].0 { child = right }
            if storage[child].0 <= last.0 { break }
            storage[i] = storage[child]
            i = child
        }
        storage[i] = last
        return result
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<(Float, UInt32)>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = bigger
        capacity *= 2
    }
}
