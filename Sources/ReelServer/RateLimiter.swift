import Foundation
import Synchronization

/// Token buckets per (client, action): `ratePerSecond` refill, `burst` capacity. In memory: a restart
/// forgives everyone, which is fine for abuse control.
public final class RateLimiter: Sendable {
    let ratePerSecond: Double
    let burst: Double
    let buckets = Mutex([String: (tokens: Double, at: Double)]())

    public init(ratePerSecond: Double, burst: Double) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }

    /// Takes one token for `key`; false when the bucket is empty.
    public func allow(_ key: String, now: Double = Date().timeIntervalSince1970) -> Bool {
        buckets.withLock { b in
            var bucket = b[key] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * ratePerSecond)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                b[key] = bucket
                return false
            }
            bucket.tokens -= 1
            b[key] = bucket
            if b.count > 100_000 { b = b.filter { now - $0.value.at < 60 } }
            return true
        }
    }
}
