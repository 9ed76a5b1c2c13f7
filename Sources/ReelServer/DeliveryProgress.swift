import Synchronization

/// How far a subscriber has received the journal, and the requests waiting for it to get further: a
/// request that must see its own write (or, after a restart, everything recorded before it) waits here, woken
/// by delivery rather than polling.
final class DeliveryProgress: Sendable {
    private struct State {
        var delivered: UInt64 = 0
        var waiters: [UInt64: (position: UInt64, resume: CheckedContinuation<Bool, Never>)] = [:]
        var nextTicket: UInt64 = 0
    }
    private let state = Mutex(State())

    /// Everything before this journal position has been received.
    var delivered: UInt64 { state.withLock { $0.delivered } }

    /// Records that everything before `position` was received, and wakes who waited for it.
    func advance(to position: UInt64) {
        let woken = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.delivered = max(s.delivered, position)
            let reached = s.waiters.filter { $0.value.position <= s.delivered }
            for ticket in reached.keys { s.waiters[ticket] = nil }
            return reached.values.map(\.resume)
        }
        for w in woken { w.resume(returning: true) }
    }

    /// Waits until everything before `position` has been received; false when `timeout` passed first.
    func wait(until position: UInt64, timeout: Duration) async -> Bool {
        let ticket = state.withLock { s -> UInt64? in
            guard s.delivered < position else { return nil }
            s.nextTicket += 1
            return s.nextTicket
        }
        guard let ticket else { return true }
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let waiting = state.withLock { s -> Bool in
                guard s.delivered < position else { return false }
                s.waiters[ticket] = (position, c)
                return true
            }
            guard waiting else { return c.resume(returning: true) }
            Task {
                try? await Task.sleep(for: timeout)
                state.withLock { $0.waiters.removeValue(forKey: ticket) }?.resume.resume(returning: false)
            }
        }
    }
}
