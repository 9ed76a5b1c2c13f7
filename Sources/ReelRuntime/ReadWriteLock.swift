import Foundation

/// Many readers or one writer, writers first: once a writer waits, new readers queue behind it, so a steady
/// stream of feed requests cannot starve the fold. Not recursive: a thread holding a read must not ask again.
final class ReadWriteLock: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var readers = 0
    private var writing = false
    private var writersWaiting = 0

    func withReadLock<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        while writing || writersWaiting > 0 { condition.wait() }
        readers += 1
        condition.unlock()
        defer {
            condition.lock()
            readers -= 1
            if readers == 0 { condition.broadcast() }
            condition.unlock()
        }
        return try body()
    }

    func withWriteLock<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        writersWaiting += 1
        while writing || readers > 0 { condition.wait() }
        writersWaiting -= 1
        writing = true
        condition.unlock()
        defer {
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }
}
