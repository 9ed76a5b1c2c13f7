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
final class SharedIndex: Sendable {
    private let mutex: Mutex<IndexState>
    init(_ state: IndexState) { mutex = Mutex(state) }
    @inline(__always)
    func withLock<R>(_ body: (inout IndexState) throws -> R) rethrows -> R {
        try mutex.withLock { try body(&$0) }
    }
}
