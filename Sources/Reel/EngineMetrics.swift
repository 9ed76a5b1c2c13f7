import CoreMetrics
import Foundation
import Synchronization

/// What the engine reports through swift-metrics; the host bootstraps the backend (Prometheus, StatsD...)
/// and, without one, these cost next to nothing.
///
/// - `reel_commands_total{command, outcome}`: commands by name and outcome (`ok`, `rejected`, `failed`).
/// - `reel_command_duration_seconds{command}`: time from call to durable acknowledgement.
/// - `reel_views_lag_events`: journal events not yet folded into the views.
/// - `reel_model_lag_events`: journal events the recommender has not learned from yet.
/// - `reel_resident_entities{kind}`: entities in memory.
/// - `reel_journal_events_total`, `reel_journal_commits_total`: appended since start; `reel_journal_batch_events`:
///   events per group commit over the last interval (how well commits are batched).
/// - `reel_feed_duration_seconds{outcome}`: choosing and recording a feed page.
final class EngineMetrics: Sendable {
    private let journalEvents = Gauge(label: "reel_journal_events_total")
    private let journalCommits = Gauge(label: "reel_journal_commits_total")
    private let batchEvents = Gauge(label: "reel_journal_batch_events")
    private let lastJournal = Mutex((commits: 0, events: UInt64(0)))
    private let lag = Gauge(label: "reel_views_lag_events")
    private let resident: [String: Gauge] = Dictionary(
        uniqueKeysWithValues: ["user", "session", "video", "creator"].map { ($0, Gauge(label: "reel_resident_entities", dimensions: [("kind", $0)])) })

    func record(command: String, outcome: String, started: ContinuousClock.Instant) {
        Counter(label: "reel_commands_total", dimensions: [("command", command), ("outcome", outcome)]).increment()
        let elapsed = ContinuousClock.now - started
        Timer(label: "reel_command_duration_seconds", dimensions: [("command", command)])
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    func recordFeed(started: ContinuousClock.Instant, outcome: String) {
        let elapsed = ContinuousClock.now - started
        Timer(label: "reel_feed_duration_seconds", dimensions: [("outcome", outcome)])
            .recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    func update(journal stats: (commits: Int, frames: Int, events: UInt64)) {
        journalEvents.record(Double(stats.events))
        journalCommits.record(Double(stats.commits))
        let (dc, de) = lastJournal.withLock { last in
            defer { last = (stats.commits, stats.events) }
            return (stats.commits - last.commits, stats.events - last.events)
        }
        if dc > 0 { batchEvents.record(Double(de) / Double(dc)) }
    }

    private let modelLag = Gauge(label: "reel_model_lag_events")

    func update(modelLag events: UInt64) { modelLag.record(Double(events)) }

    func update(lag events: UInt64, resident counts: [String: Int]) {
        lag.record(Double(events))
        for (kind, n) in counts { resident[kind]?.record(Double(n)) }
    }
}
