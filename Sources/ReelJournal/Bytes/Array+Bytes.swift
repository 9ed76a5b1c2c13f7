import Foundation
import Synchronization

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body with typed throws (the standard one only rethrows untyped errors).
    @inline(__always)
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(JournalError) -> T) throws(JournalError) -> T {
        var result: Result<T, JournalError>?
        withUnsafeBytes { raw in
            do throws(JournalError) { result = .success(try body(raw)) } catch { result = .failure(error) }
        }
        return try result!.get()
    }
}

/// Shares the journal's index state between the `Journal` (readers) and its writer thread.
final class SharedIndex: @unchecked Sendable {
    private let mutex: Mutex<IndexState>
    /// Broadcast after each commit, so followers wake at once instead of polling.
    private let committed = NSCondition()
    init(_ state: IndexState) { mutex = Mutex(state) }

    func notifyCommitted() {
        committed.lock()
        committed.broadcast()
        committed.unlock()
    }

    /// Blocks until `condition` holds (checked after each commit) or `deadline` passes; returns whether it holds.
    func wait(until deadline: Date, for condition: (IndexState) -> Bool) -> Bool {
        committed.lock()
        defer { committed.unlock() }
        while !withLock({ condition($0) }) {
            if !committed.wait(until: deadline) { return withLock { condition($0) } }
        }
        return true
    }
    @inline(__always)
    func withLock<R>(_ body: (inout IndexState) throws -> R) rethrows -> R {
        try mutex.withLock { try body(&$0) }
    }
}
