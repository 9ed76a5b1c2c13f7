/// Every failure the journal reports: a code to match on, a message a person can act on, where it happened
/// (segment file and byte offset when the bytes are at fault), and the underlying cause.
public struct JournalError: Error, CustomStringConvertible, Sendable {
    /// Codes are a struct over a private enum so that new ones do not break callers' `switch`es.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case malformed, corruption, wrongExpectedVersion, io, diskFull, closed, invalidArgument
            case unsupportedVersion, missingSegment, locked, erased, acknowledgedMissing
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public var description: String { base.rawValue }

        /// Bytes that do not decode (a field runs past the end, an impossible value).
        public static let malformed = Code(.malformed)
        /// A checksum or hash-chain mismatch, or bytes that cannot be valid journal data.
        public static let corruption = Code(.corruption)
        /// An append's expected stream version did not match (optimistic concurrency).
        public static let wrongExpectedVersion = Code(.wrongExpectedVersion)
        /// A system call failed.
        public static let io = Code(.io)
        /// The file system is full: nothing was acknowledged; retry when space returns.
        public static let diskFull = Code(.diskFull)
        /// The journal was closed or failed and takes no more appends.
        public static let closed = Code(.closed)
        public static let invalidArgument = Code(.invalidArgument)
        /// Data written by a newer format version than this code reads.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// A segment file in the middle of the journal is missing.
        public static let missingSegment = Code(.missingSegment)
        /// The journal ends before what it had acknowledged as durable (`durable-head`): events are lost.
        public static let acknowledgedMissing = Code(.acknowledgedMissing)
        /// Another process holds the data directory.
        public static let locked = Code(.locked)
        /// Personal data whose key was deleted (crypto-shredded).
        public static let erased = Code(.erased)
    }

    public var code: Code
    public var message: String
    /// The segment (or index) file name, when the error is about stored bytes.
    public var file: String?
    /// Byte offset inside `file`.
    public var offset: Int?
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, file: String? = nil, offset: Int? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.offset = offset
        self.cause = cause
    }

    public var description: String {
        var s = "journal \(code): \(message)"
        if let file { s += " (in \(file)\(offset.map { " at byte \($0)" } ?? ""))" }
        if let cause { s += " [cause: \(cause)]" }
        return s
    }

    static func malformed(_ message: String) -> JournalError { JournalError(.malformed, message) }
    static func io(_ message: String, cause: (any Error)? = nil) -> JournalError {
        JournalError(.io, message, cause: cause)
    }
    static func corruption(_ message: String, file: String, offset: Int) -> JournalError {
        JournalError(.corruption, message, file: file, offset: offset)
    }
    func located(file: String, offset: Int) -> JournalError {
        var copy = self
        copy.file = copy.file ?? file
        copy.offset = copy.offset ?? offset
        return copy
    }
}
