/// Which snapshots to keep as they age: dense recently, sparse long ago, so storage stays bounded.
///
/// Each tier says "for snapshots younger than `maxAge`, keep the newest in every `bucket`". Snapshots older
/// than the last tier keep one per last bucket. The newest snapshot of a stream is always kept.
public struct SnapshotRetention: Sendable, Hashable {
    public struct Tier: Sendable, Hashable {
        public var maxAgeMicros: Int64
        public var bucketMicros: Int64
        public init(maxAgeMicros: Int64, bucketMicros: Int64) {
            self.maxAgeMicros = maxAgeMicros
            self.bucketMicros = bucketMicros
        }
    }
    public var tiers: [Tier]

    public init(tiers: [Tier]) { self.tiers = tiers }

    static let minute: Int64 = 60_000_000
    static let hour: Int64 = 60 * minute
    static let day: Int64 = 24 * hour

    /// Everything for an hour, then hourly for a day, daily for 30 days, weekly after that.
    public static let standard = SnapshotRetention(tiers: [
        Tier(maxAgeMicros: hour, bucketMicros: 1),
        Tier(maxAgeMicros: day, bucketMicros: hour),
        Tier(maxAgeMicros: 30 * day, bucketMicros: day),
        Tier(maxAgeMicros: .max, bucketMicros: 7 * day),
    ])

    /// Given one stream's snapshots as (sequence, recordedAt) sorted by sequence, the sequences to keep.
    public func sequencesToKeep(_ snapshots: [(sequence: UInt64, recordedAt: Int64)], now: Int64) -> Set<UInt64> {
        guard let newest = snapshots.last else { return [] }
        var keep: Set<UInt64> = [newest.sequence]
        var seen: Set<String> = []
        // Newest first, so the first snapshot met in each bucket is the newest of that bucket.
        for s in snapshots.reversed() {
            let age = max(0, now - s.recordedAt)
            let tierIndex = tiers.firstIndex { age < $0.maxAgeMicros } ?? (tiers.count - 1)
            let tier = tiers[tierIndex]
            let bucket = s.recordedAt >= 0 ? s.recordedAt / tier.bucketMicros : (s.recordedAt - tier.bucketMicros + 1) / tier.bucketMicros
            if seen.insert("\(tierIndex):\(bucket)").inserted { keep.insert(s.sequence) }
        }
        return keep
    }
}
