import Foundation

/// One append call waiting for the writer thread.
struct PendingAppend: Sendable {
    var writes: [StreamWrite]
    /// Sealed personal data per event, in the order of `writes` then events (nil where there is none); empty
    /// when no event carries any (most appends: no array to allocate).
    var sealed: [[UInt8]?]
    var eventCount: Int
    /// Called exactly once, on the writer or sync thread, in submission order for successes.
    var complete: AppendCompletion
}

/// How an append learns its outcome. Keep it short: it runs on the journal's own threads.
public typealias AppendCompletion = @Sendable (Result<AppendResult, JournalError>) -> Void

/// The hand-off between appending tasks and the writer thread: a lock, a condition and a list.
///
/// `@unchecked Sendable`: every field is read and written only while `condition` is locked.
final class AppendQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [PendingAppend] = []
    private var spare: [PendingAppend] = []
    private var closed = false

    /// Queues an append; returns false (and queues nothing) when the journal is closed.
    func enqueue(_ p: PendingAppend) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closed { return false }
        pending.append(p)
        if pending.count == 1 { condition.signal() }
        return true
    }

    /// Waits until there is work (or until `deadline`, or the queue closes) and takes all of it.
    /// Returns nil once closed and drained.
    func takeAll(waitingUntil deadline: Date?) -> [PendingAppend]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !closed {
            if let deadline {
                if !condition.wait(until: deadline) { return [] }
            } else {
                condition.wait()
            }
        }
        if pending.isEmpty && closed { return nil }
        swap(&pending, &spare)
        let taken = spare
        spare.removeAll(keepingCapacity: true)
        return taken
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
