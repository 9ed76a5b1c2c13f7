import ReelJournal
import Synchronization

/// New entity ids: milliseconds since 2025-01-01 in the high bits and a per-millisecond counter in the low 8
/// (a burst above 256 per millisecond borrows the next milliseconds), so ids sort by creation time and stay
/// below 2^48 until about 2059: exact in JavaScript clients, and within the 48 bits regional view keys keep.
/// Unique within the one process that holds the data directory; a collision after a clock step back is caught
/// by the entity (its stream already exists) and the engine asks for another id.
final class IDGenerator: Sendable {
    static let epochMillis: Int64 = 1_735_689_600_000
    private let last = Mutex<UInt64>(0)
    private let clock: any JournalClock

    init(clock: any JournalClock) { self.clock = clock }

    func next() -> UInt64 {
        let millis = UInt64(max(1, clock.now().milliseconds - Self.epochMillis))
        return last.withLock { last in
            let candidate = millis << 8
            last = candidate > last ? candidate : last + 1
            return last
        }
    }
}
