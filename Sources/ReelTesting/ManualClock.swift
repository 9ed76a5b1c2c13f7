import ReelJournal
import Synchronization

/// A clock that moves only when told to.
public final class ManualClock: JournalClock {
    private let current: Mutex<Timestamp>
    public init(_ start: Timestamp = Timestamp(seconds: 1_767_225_600)) { current = Mutex(start) }
    public func now() -> Timestamp { current.withLock { $0 } }
    public func advance(microseconds: Int64) { current.withLock { $0 = $0.adding(microseconds: microseconds) } }
    public func set(_ t: Timestamp) { current.withLock { $0 = t } }
}
