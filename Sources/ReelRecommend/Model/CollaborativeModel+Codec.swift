import ReelJournal

/// The learned embeddings' persisted form, inside the recommender model's file: rows in slot order (the order
/// they were first seen), floats by bit pattern, so equal models give equal bytes.
extension CollaborativeModel {
    func serialize(into w: inout ByteWriter) {
        w.writeIDs(itemIDs)
        w.writeFloats(itemVectors)
        w.writeFloats(itemBias)
        for f in itemFeatures { w.writeSlots(f) }
        w.writeFloats(popularity)
        for t in popularityTime { w.writeInt64(t) }
        for t in publishedAt { w.writeInt64(t) }
        w.writeSlots(live)
        w.writeIDs(featureKeys)
        w.writeFloats(featureVectors)
        w.writeUInt64(UInt64(userRecent.count))
        w.writeFloats(userVectors)
        for r in userRecent { w.writeSlots(r) }
        // Erased viewers leave their slot unnamed: the named ones in id order.
        w.writeUInt64(UInt64(userSlot.count))
        for id in userSlot.keys.sorted() {
            w.writeUInt64(id)
            w.writeUInt32(UInt32(userSlot[id]!))
        }
        w.writeFloats(engaged)
        for t in together {
            w.writeUInt32(UInt32(t.count))
            for k in t.keys.sorted() {
                w.writeUInt32(UInt32(bitPattern: k))
                w.writeUInt32(t[k]!.bitPattern)
            }
        }
        w.writeFloats(weights)
        w.writeUInt64(steps)
    }

    static func deserialize(_ r: inout RawReader) throws(ModelFileError) -> CollaborativeModel {
        var m = CollaborativeModel()
        let d = dimension
        m.itemIDs = try r.ids()
        let n = m.itemIDs.count
        m.itemVectors = try r.floats()
        m.itemBias = try r.floats()
        guard m.itemVectors.count == n * d, m.itemBias.count == n else { throw ModelFileError("learned video rows disagree in length") }
        m.itemFeatures = try (0..<n).map { _ throws(ModelFileError) in try r.slots() }
        m.popularity = try r.floats()
        guard m.popularity.count == n * counters else { throw ModelFileError("learned popularity rows disagree in length") }
        m.popularityTime = try (0..<n).map { _ throws(ModelFileError) in Int64(bitPattern: try r.u64()) }
        m.publishedAt = try (0..<n).map { _ throws(ModelFileError) in Int64(bitPattern: try r.u64()) }
        m.live = try r.slots()
        m.livePlace = [Int32](repeating: -1, count: n)
        for (place, slot) in m.live.enumerated() {
            guard slot >= 0, Int(slot) < n else { throw ModelFileError("live slot \(slot) out of range") }
            m.livePlace[Int(slot)] = Int32(place)
        }
        for (slot, id) in m.itemIDs.enumerated() { m.itemSlot[id] = Int32(slot) }
        m.featureKeys = try r.ids()
        m.featureVectors = try r.floats()
        guard m.featureVectors.count == m.featureKeys.count * d else { throw ModelFileError("learned feature rows disagree in length") }
        for (slot, key) in m.featureKeys.enumerated() { m.featureSlot[key] = Int32(slot) }
        guard m.itemFeatures.allSatisfy({ $0.allSatisfy { $0 >= 0 && Int($0) < m.featureKeys.count } }) else {
            throw ModelFileError("a learned video names a feature out of range")
        }
        let users = try r.count()
        m.userVectors = try r.floats()
        guard m.userVectors.count == users * d else { throw ModelFileError("learned viewer rows disagree in length") }
        m.userRecent = try (0..<users).map { _ throws(ModelFileError) in try r.slots() }
        guard m.userRecent.allSatisfy({ $0.allSatisfy { $0 >= 0 && Int($0) < n } }) else {
            throw ModelFileError("a learned viewer's history names a video out of range")
        }
        for _ in 0..<(try r.count()) {
            let id = try r.u64()
            let slot = try r.u32()
            guard Int(slot) < users else { throw ModelFileError("learned viewer slot \(slot) out of range") }
            m.userSlot[id] = Int32(slot)
        }
        m.engaged = try r.floats()
        guard m.engaged.count == n else { throw ModelFileError("learned engagement counts disagree in length") }
        m.together = try (0..<n).map { _ throws(ModelFileError) in
            let count = Int(try r.u32())
            guard count * 8 <= r.bytes.count - r.offset else { throw ModelFileError("co-engagement list of \(count) runs past the end") }
            var t: [Int32: Float] = [:]
            for _ in 0..<count {
                let k = Int32(bitPattern: try r.u32())
                guard k >= 0, Int(k) < n else { throw ModelFileError("co-engagement names slot \(k) out of range") }
                t[k] = try r.f32()
            }
            return t
        }
        m.weights = try r.floats()
        guard m.weights.count == weightedFeatures else { throw ModelFileError("learned weights: \(m.weights.count)") }
        m.steps = try r.u64()
        return m
    }
}

extension ByteWriter {
    mutating func writeSlots(_ slots: [Int32]) {
        writeUInt32(UInt32(slots.count))
        for s in slots { writeUInt32(UInt32(bitPattern: s)) }
    }
}

extension RawReader {
    mutating func slots() throws(ModelFileError) -> [Int32] {
        let n = Int(try u32())
        guard n * 4 <= bytes.count - offset else { throw ModelFileError("a list of \(n) slots runs past the end at byte \(offset)") }
        return try (0..<n).map { _ throws(ModelFileError) in Int32(bitPattern: try u32()) }
    }
}
