import CoreMetrics
import Foundation

/// What the engine reports through swift-metrics; the host bootstraps the backend (Prometheus, StatsD...)
/// and, without one, these cost next to nothing.
///
/// - `reel_commands_total{command, outcome}`: commands by name and outcome (`ok`, `rejected`, `failed`).
/// - `reel_command_duration_seconds{command}`: time from call to durable acknowledgement.
/// - `reel_views_lag_events`: journal events not yet folded into the views.
/// - `reel_resident_entities{kind}`: entities in memory.
final class EngineMetrics: Sendable {
    private let lag = Gauge(label: "reel_views_lag_events")
    private let resident: [String: Gauge] = Dictionary(
        uniqueKeysWithValues: ["user", "session", "video", "creator"].map { ($0, Gauge(label: "reel_resident_entities", dimensions: [("kind", $0)])) })

    func record(command: String, outcome: String, started: ContinuousClock.Instant) {
        Counter(label: "reel_commands_total", dimensions: [("command", command), ("outcome", outcome)]).increment()
        let elapsed = ContinuousClock.now - started
        Timer(label: "reel_command_duration_seconds", dimensions: [("command", command)])
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    func update(lag events: UInt64, resident counts: [String: Int]) {
        lag.record(Double(events))
        for (kind, n) in counts { resident[kind]?.record(Double(n)) }
    }
}
