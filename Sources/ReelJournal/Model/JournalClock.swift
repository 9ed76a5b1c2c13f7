import Foundation

/// The journal's source of `recordedAt`. Injected so that tests and replays are deterministic; the journal
/// itself makes the values monotonic (never earlier than the previous batch).
public protocol JournalClock: Sendable {
    func now() -> Timestamp
}

/// Wall-clock time from the system.
public struct SystemClock: JournalClock {
    public init() {}
    public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }
}
