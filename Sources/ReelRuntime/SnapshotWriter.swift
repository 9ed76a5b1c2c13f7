import Foundation
import Logging
import ReelJournal

/// Saves snapshots on its own thread, many per SQLite transaction, so that actors never block on SQLite
/// writes. A snapshot is an optimisation: if one is lost in a crash, activation folds a longer tail.
public final class SnapshotWriter: @unchecked Sendable {
    public let store: SnapshotStore
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [Snapshot] = []
    private var busy = false
    private var closed = false
    private var failures = 0
    private var thread: Thread?
    private let logger = Logger(label: "reel.snapshots")

    public init(store: SnapshotStore) {
        self.store = store
        let t = Thread { [unowned self] in self.loop() }
        t.name = "reel-snapshots"
        thread = t
        t.start()
    }

    func enqueue(_ s: Snapshot) {
        condition.lock()
        queue.append(s)
        condition.signal()
        condition.unlock()
    }

    /// Waits until everything queued so far is saved.
    public func flush() {
        condition.lock()
        while !queue.isEmpty || busy { condition.wait() }
        condition.unlock()
    }

    /// Saves what is queued and stops the thread.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        while !queue.isEmpty || busy { condition.wait() }
        condition.unlock()
    }

    public var failedSaves: Int {
        condition.lock()
        defer { condition.unlock() }
        return failures
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed {
                condition.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            busy = true
            condition.unlock()
            do throws(JournalError) {
                try store.saveAll(batch)
            } catch {
                logger.warning("snapshot save failed; entities will fold longer tails", metadata: ["error": "\(error)"])
                condition.lock()
                failures += 1
                condition.unlock()
            }
            condition.lock()
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
