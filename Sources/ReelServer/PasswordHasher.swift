import Dispatch
import Foundation
import Synchronization

/// Password hashing (PBKDF2, ~0.1 s of CPU each) on a queue of its own, off Swift's cooperative pool: there,
/// 16 clients signing up at once held every pool thread and `/health` went from 2 ms to 377 ms. One hash at a
/// time leaves the other cores to serving; at most `maxWaiting` wait, and beyond that the caller is told to
/// come back (429) rather than queue without bound.
public final class PasswordHasher: Sendable {
    private let queue = DispatchQueue(label: "reel.password-hashing", qos: .utility)
    private let waiting = Mutex(0)
    public let maxWaiting: Int

    public init(maxWaiting: Int = 64) { self.maxWaiting = maxWaiting }

    /// Too many hashes are already waiting.
    public struct Busy: Error, Sendable {}

    public func hash(_ password: String, salt: Data, rounds: Int) async throws -> Data {
        let admitted = waiting.withLock { n in
            guard n < maxWaiting else { return false }
            n += 1
            return true
        }
        guard admitted else { throw Busy() }
        defer { waiting.withLock { $0 -= 1 } }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try AccountStore.hash(password, salt: salt, rounds: rounds) }) }
        }
    }
}
