import ReelJournal
import ReelViews

/// The model's persisted form: canonical (dictionaries in key order, fixed-width little-endian numbers, floats
/// by bit pattern), so equal models give equal bytes and a digest compares two processes.
extension RecommenderModel {
    static let magic: UInt32 = 0x4C44_4D52  // "RMDL"
    static let formatVersion: UInt32 = 4

    public func serialized() -> [UInt8] {
        var w = ByteWriter(capacity: 1 << 20)
        w.writeUInt32(Self.magic)
        w.writeUInt32(Self.formatVersion)
        index.serialize(into: &w)
        learnedIndex.serialize(into: &w)
        w.writeUInt64(UInt64(videos.count))
        for k in videos.keys.sorted() {
            let f = videos[k]!
            w.writeUInt64(k)
            w.writeUInt64(f.creator)
            w.writeUInt64(f.sound)
            w.writeIDs(f.tags)
            w.writeIDs(f.words)
            w.writeInt64(f.publishedAt)
            w.writeUInt64(f.durationMillis)
            w.writeByte(f.live ? 1 : 0)
            for c in [f.impressions, f.plays, f.completions, f.likes, f.shares, f.follows] { w.writeUInt32(c) }
            w.writeUInt32(f.watchFractionSum.bitPattern)
            w.writeUInt32(f.liftSum.bitPattern)
            w.writeUInt32(f.lifted)
            w.writeFloats(f.collaborative)
            w.writeUInt32(f.collaborativeWeight.bitPattern)
        }
        w.writeUInt64(UInt64(users.count))
        for k in users.keys.sorted() {
            let u = users[k]!
            w.writeUInt64(k)
            w.writeFloats(u.longTerm)
            w.writeInt64(u.updatedAt)
            w.writeIDs(u.following.ids)
            w.writeIDs(u.recentLikes)
            w.writeUInt64(UInt64(u.tags.count))
            for t in u.tags.keys.sorted() {
                w.writeUInt64(t)
                w.writeUInt32(u.tags[t]!.watched.bitPattern)
                w.writeUInt32(u.tags[t]!.impressions.bitPattern)
            }
        }
        w.writeUInt64(UInt64(sessions.count))
        for k in sessions.keys.sorted() {
            let s = sessions[k]!
            w.writeUInt64(k)
            w.writeUInt64(s.viewer)
            w.writeUInt16(s.region)
            w.writeFloats(s.vector)
            w.writeInt64(s.updatedAt)
            if let p = s.pending {
                w.writeByte(1)
                w.writeUInt64(p.video)
                w.writeUInt64(p.creator)
                w.writeIDs(p.features)
                w.writeByte((p.completed ? 1 : 0) | (p.liked ? 2 : 0) | (p.shared ? 4 : 0) | (p.followed ? 8 : 0))
                w.writeUInt32(p.watchFraction.bitPattern)
                w.writeUInt32(p.margin.bitPattern)
            } else {
                w.writeByte(0)
            }
        }
        for table in [byTag, bySound, byCreator, tagLeaders] {
            w.writeUInt64(UInt64(table.count))
            for k in table.keys.sorted() {
                w.writeUInt64(k)
                w.writeIDs(table[k]!)
            }
        }
        w.writeIDs(fresh)
        w.writeUInt64(completedPlays)
        w.writeUInt64(replays)
        w.writeUInt64(UInt64(trending.count))
        for region in trending.keys.sorted() {
            let board = trending[region]!
            w.writeUInt16(region)
            w.writeUInt32(UInt32(board.sinceRefresh))
            w.writeIDs(board.top)
            w.writeUInt64(UInt64(board.scores.count))
            for k in board.scores.keys.sorted() {
                w.writeUInt64(k)
                w.writeUInt64(board.scores[k]!.bitPattern)
            }
        }
        w.writeUInt32(UInt32(heads.count))
        for (h, v) in zip(heads, validation) {
            w.writeUInt32(UInt32(h.bits))
            w.writeFloats(h.z)
            w.writeFloats(h.n)
            w.writeUInt64(v.examples)
            w.writeUInt64(v.positives)
            w.writeUInt64(v.logLoss.bitPattern)
            w.writeUInt64(v.baselineLogLoss.bitPattern)
            w.writeUInt64(v.labelSum.bitPattern)
        }
        w.writeUInt64(servedItems)
        w.writeUInt64(impressionsFolded)
        for table in [learnedEngagements, learnedIndexedAt] {
            w.writeUInt64(UInt64(table.count))
            for k in table.keys.sorted() {
                w.writeUInt64(k)
                w.writeUInt32(table[k]!)
            }
        }
        learned.serialize(into: &w)
        return w.bytes
    }

    public static func deserialize(_ bytes: UnsafeRawBufferPointer) throws(ModelFileError) -> RecommenderModel {
        var r = RawReader(bytes: bytes, offset: 0)
        guard try r.u32() == magic else { throw ModelFileError("not a recommender model (bad magic)") }
        let version = try r.u32()
        guard version == formatVersion else {
            throw ModelFileError("recommender model format \(version) is not supported (expected \(formatVersion))")
        }
        var offset = r.offset
        let index = try HNSWIndex.deserialize(bytes, offset: &offset)
        let learnedIndex = try HNSWIndex.deserialize(bytes, offset: &offset)
        r.offset = offset
        let m = RecommenderModel(index: index, learnedIndex: learnedIndex)
        for _ in 0..<(try r.count()) {
            let k = try r.u64()
            var f = VideoFacts()
            f.creator = try r.u64()
            f.sound = try r.u64()
            f.tags = try r.ids()
            f.words = try r.ids()
            f.publishedAt = Int64(bitPattern: try r.u64())
            f.durationMillis = try r.u64()
            f.live = try r.u8() != 0
            f.impressions = try r.u32()
            f.plays = try r.u32()
            f.completions = try r.u32()
            f.likes = try r.u32()
            f.shares = try r.u32()
            f.follows = try r.u32()
            f.watchFractionSum = try r.f32()
            f.liftSum = try r.f32()
            f.lifted = try r.u32()
            f.collaborative = try r.floats()
            f.collaborativeWeight = try r.f32()
            m.videos[k] = f
        }
        for _ in 0..<(try r.count()) {
            let k = try r.u64()
            var u = UserFacts()
            u.longTerm = try r.floats()
            u.updatedAt = Int64(bitPattern: try r.u64())
            u.following = IDList(ids: try r.ids())
            u.recentLikes = try r.ids()
            for _ in 0..<(try r.count()) {
                let t = try r.u64()
                u.tags[t] = TagEvidence(watched: try r.f32(), impressions: try r.f32())
            }
            m.users[k] = u
        }
        for _ in 0..<(try r.count()) {
            let k = try r.u64()
            var s = SessionFacts()
            s.viewer = try r.u64()
            s.region = UInt16(truncatingIfNeeded: try r.u8()) | UInt16(try r.u8()) << 8
            s.vector = try r.floats()
            s.updatedAt = Int64(bitPattern: try r.u64())
            if try r.u8() == 1 {
                let video = try r.u64()
                let creator = try r.u64()
                let features = try r.ids()
                let flags = try r.u8()
                let fraction = try r.f32()
                let margin = try r.f32()
                s.pending = PendingImpression(
                    video: video, creator: creator, features: features, completed: flags & 1 != 0,
                    watchFraction: fraction, margin: margin, liked: flags & 2 != 0,
                    shared: flags & 4 != 0, followed: flags & 8 != 0)
            }
            m.sessions[k] = s
        }
        var tables: [[UInt64: [UInt64]]] = []
        for _ in 0..<4 {
            var t: [UInt64: [UInt64]] = [:]
            for _ in 0..<(try r.count()) { t[try r.u64()] = try r.ids() }
            tables.append(t)
        }
        (m.byTag, m.bySound, m.byCreator, m.tagLeaders) = (tables[0], tables[1], tables[2], tables[3])
        m.fresh = try r.ids()
        m.completedPlays = try r.u64()
        m.replays = try r.u64()
        for _ in 0..<(try r.count()) {
            let region = UInt16(truncatingIfNeeded: try r.u8()) | UInt16(try r.u8()) << 8
            var board = TrendingBoard()
            board.sinceRefresh = Int(try r.u32())
            board.top = try r.ids()
            for _ in 0..<(try r.count()) { board.scores[try r.u64()] = Double(bitPattern: try r.u64()) }
            m.trending[region] = board
        }
        let headCount = Int(try r.u32())
        guard headCount == tasks.count else {
            throw ModelFileError("model has \(headCount) ranker heads, expected \(tasks.count)")
        }
        for t in 0..<headCount {
            let bits = Int(try r.u32())
            guard (8...26).contains(bits) else { throw ModelFileError("ranker head \(t) has \(bits) hash bits") }
            var h = FTRL(bits: bits)
            h.z = try r.floats()
            h.n = try r.floats()
            guard h.z.count == 1 << bits, h.n.count == 1 << bits else {
                throw ModelFileError("ranker head \(t) has the wrong number of weights")
            }
            h.refreshWeights()
            m.heads[t] = h
            m.validation[t] = ProgressiveValidation(
                examples: try r.u64(), positives: try r.u64(), logLoss: Double(bitPattern: try r.u64()),
                baselineLogLoss: Double(bitPattern: try r.u64()),
                labelSum: Double(bitPattern: try r.u64()))
        }
        m.servedItems = try r.u64()
        m.impressionsFolded = try r.u64()
        for k in 0..<2 {
            var table: [UInt64: UInt32] = [:]
            for _ in 0..<(try r.count()) { table[try r.u64()] = try r.u32() }
            if k == 0 { m.learnedEngagements = table } else { m.learnedIndexedAt = table }
        }
        m.learned = try CollaborativeModel.deserialize(&r)
        guard r.offset == bytes.count else {
            throw ModelFileError("\(bytes.count - r.offset) unexpected bytes after the model")
        }
        return m
    }
}

extension ByteWriter {
    mutating func writeIDs(_ ids: [UInt64]) {
        writeUInt32(UInt32(ids.count))
        for id in ids { writeUInt64(id) }
    }
    mutating func writeFloats(_ values: [Float]) {
        writeUInt32(UInt32(values.count))
        values.withUnsafeBytes { writeBytes($0) }
    }
}

extension RawReader {
    mutating func count() throws(ModelFileError) -> Int {
        let n = try u64()
        guard n <= UInt64(bytes.count) else { throw ModelFileError("implausible count \(n) at byte \(offset - 8)") }
        return Int(n)
    }
    mutating func ids() throws(ModelFileError) -> [UInt64] {
        let n = Int(try u32())
        guard n * 8 <= bytes.count - offset else {
            throw ModelFileError("a list of \(n) ids runs past the end at byte \(offset)")
        }
        return try (0..<n).map { _ throws(ModelFileError) in try u64() }
    }
    mutating func floats() throws(ModelFileError) -> [Float] {
        let n = Int(try u32())
        let start = try take(n * 4)
        var out = [Float](repeating: 0, count: n)
        if n > 0 {
            out.withUnsafeMutableBytes {
                $0.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: n * 4)
            }
        }
        return out
    }
}
