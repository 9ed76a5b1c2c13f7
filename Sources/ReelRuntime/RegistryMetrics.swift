import Synchronization

/// Activation and passivation counts and latencies of one registry, readable at any time.
public final class RegistryMetrics: Sendable {
    public let activations = Atomic<Int>(0)
    public let passivations = Atomic<Int>(0)
    public let snapshotsTaken = Atomic<Int>(0)
    let activationLatency = LatencySamples()
    let passivationLatency = LatencySamples()

    func activated(after d: Duration) {
        activations.add(1, ordering: .relaxed)
        activationLatency.record(d)
    }

    func passivated(after d: Duration) {
        passivations.add(1, ordering: .relaxed)
        passivationLatency.record(d)
    }

    /// Activation latency quantile in milliseconds over the most recent activations.
    public func activationMillis(quantile q: Double) -> Double { activationLatency.quantile(q) }
    public func passivationMillis(quantile q: Double) -> Double { passivationLatency.quantile(q) }
    public func resetLatencies() {
        activationLatency.reset()
        passivationLatency.reset()
    }
}

/// The most recent latencies (a ring of 65,536), for quantiles.
final class LatencySamples: Sendable {
    private let ring = Mutex<(values: [Double], next: Int)>(([], 0))
    private static let capacity = 65_536

    func record(_ d: Duration) {
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        ring.withLock { r in
            if r.values.count < Self.capacity { r.values.append(ms) } else { r.values[r.next] = ms }
            r.next = (r.next + 1) % Self.capacity
        }
    }

    func quantile(_ q: Double) -> Double {
        let sorted = ring.withLock { $0.values }.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }

    func reset() { ring.withLock { $0 = ([], 0) } }
}
