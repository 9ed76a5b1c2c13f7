import ReelJournal
import ReelRuntime

/// Every failure the engine reports: a category a host maps to its protocol (HTTP status, exit code), a
/// stable machine-readable code, and a message a person can act on.
public struct ReelError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Category: String, Sendable, Hashable {
        /// The request itself is wrong (bad value, missing field): fix it before retrying.
        case invalid
        /// The request is well formed but the domain says no (liking an unpublished video, following yourself).
        case rejected
        /// What the request names does not exist.
        case notFound
        /// Another change won (the entity moved on): retrying may succeed.
        case conflict
        /// The engine cannot take it now: shutting down, not started, storage full. Nothing was written.
        case unavailable
        /// The data directory is in use by another process.
        case locked
        /// Stored data is damaged or an operation failed unexpectedly; details are in the message and the log.
        case failure
    }

    public var category: Category
    /// A stable code such as `unknownUser`, `diskFull` or `shuttingDown`.
    public var code: String
    public var message: String

    public init(_ category: Category, _ code: String, _ message: String) {
        self.category = category
        self.code = code
        self.message = message
    }

    public var description: String { "\(category) (\(code)): \(message)" }

    static func invalid(_ code: String, _ message: String) -> ReelError { ReelError(.invalid, code, message) }
    static func notFound(_ code: String, _ message: String) -> ReelError { ReelError(.notFound, code, message) }

    /// Classifies anything thrown below the engine.
    static func from(_ error: any Error) -> ReelError {
        switch error {
        case let e as ReelError: return e
        case let e as CommandRejected:
            let notFound = e.code.hasPrefix("unknown")
            return ReelError(notFound ? .notFound : .rejected, e.code, e.message)
        case let e as JournalError:
            switch e.code {
            case .diskFull: return ReelError(.unavailable, "diskFull", "the disk is full; nothing was written: \(e.message)")
            case .closed: return ReelError(.unavailable, "closed", e.message)
            case .wrongExpectedVersion: return ReelError(.conflict, "conflict", e.message)
            case .locked: return ReelError(.locked, "locked", e.message)
            case .invalidArgument, .malformed: return ReelError(.invalid, "invalidArgument", e.message)
            default: return ReelError(.failure, e.code.description, e.description)
            }
        case let e as ConfigurationError: return ReelError(.invalid, "configuration", e.description)
        default: return ReelError(.failure, "internal", String(describing: error))
        }
    }
}
