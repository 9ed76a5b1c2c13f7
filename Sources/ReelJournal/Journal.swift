import Foundation
import Synchronization

/// The append-only event journal: segments of zstd-compressed, checksummed, hash-chained batches.
///
/// One `Journal` owns its directory (an exclusive lock unless opened read-only). Appends from any number of
/// tasks are group-committed by one writer thread; reads run concurrently on the caller's thread and see
/// only committed (with the default durability: synced) events. See `Journal/FORMAT.md` for the bytes.
public final class Journal: Sendable {
    public let configuration: JournalConfiguration
    /// What opening found and repaired.
    public let recovery: RecoveryReport

    let fs: any JournalFileSystem
    let index: SharedIndex
    let queue: AppendQueue
    let frameCache: FrameCache
    private let writer: Writer?
    private let lockToken: (any Sendable)?

    var directory: String { configuration.directory }

    /// Opens (creating if needed, unless read-only) the journal in `configuration.directory` and recovers it:
    /// cuts a torn tail, rebuilds damaged indexes, and fails with `.corruption` (naming segment and offset) on
    /// damage anywhere but the tail. Blocking: call it off the cooperative pool for large journals.
    public static func open(_ configuration: JournalConfiguration) throws(JournalError) -> Journal {
        try Journal(configuration: configuration)
    }

    private init(configuration: JournalConfiguration) throws(JournalError) {
        self.configuration = configuration
        let fs = configuration.fileSystem
        self.fs = fs
        let dir = configuration.directory
        if configuration.readOnly {
            guard fs.fileExists(dir) else {
                throw JournalError(.invalidArgument, "no journal at \(dir)")
            }
            lockToken = nil
        } else {
            try fs.createDirectory(dir)
            lockToken = try FileLock.acquire("\(dir)/LOCK", fileSystem: fs)
        }
        let recovered = try Recovery(configuration: configuration).run()
        recovery = recovered.report
        index = SharedIndex(recovered.state)
        queue = AppendQueue()
        frameCache = FrameCache(capacityBytes: configuration.frameCacheBytes)
        if configuration.readOnly {
            writer = nil
        } else {
            let w = Writer(
                configuration: configuration, fileSystem: fs, queue: queue, state: recovered.writerState)
            writer = w
            w.index = index
            w.start()
        }
    }

    deinit {
        queue.close()
        writer?.join()
    }

    /// Stops taking appends, commits what is queued, syncs, stops the writer thread and releases the
    /// directory's lock. Idempotent.
    public func close() {
        queue.close()
        writer?.join()
        (lockToken as? FileLock)?.release()
    }

    /// The position the next appended event will get; every position below it is committed and readable.
    public var nextPosition: UInt64 { index.withLock { $0.committedNext } }

    /// Commits, frames and events written since this journal was opened.
    public var statistics: (commits: Int, frames: Int, events: UInt64) {
        index.withLock { ($0.commits, $0.frames, $0.appendedEvents) }
    }

    /// Blocks until an event at `position` or later is committed, or `timeout` passes; returns whether one is.
    /// For followers that would otherwise poll.
    public func waitForCommit(beyond position: UInt64, timeout: Duration) -> Bool {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        return index.wait(until: Date().addingTimeInterval(seconds)) { $0.committedNext > position }
    }

    /// SHA-256 of the newest batch (all zeros for an empty journal): it commits to the whole journal.
    public var headHash: [UInt8] { index.withLock { $0.headHash } }
}

/// Everything readers need to find events, guarded by `Journal.index`. The writer thread updates it after
/// each commit; readers search it under the lock and copy out only what they need.
struct IndexState: Sendable {
    struct Segment: Sendable {
        let base: UInt64
        let name: String
        let handle: any JournalFileHandle
        var length: Int
        var nextPosition: UInt64
        var batches: [BatchEntry]
    }
    var segments: [Segment]
    /// The stream index of the last segment (the active one when writable).
    var activeStreams: StreamRuns
    /// Stream indexes of sealed segments, loaded on first use.
    var sealedStreams: [UInt64: SealedStreamIndex] = [:]
    var committedNext: UInt64
    var headHash: [UInt8]
    /// Set when a failed sync makes the journal's durable state unknown: no further appends are taken.
    var failure: JournalError?
    /// Compaction anchors of sealed segments, by base (see `CompactionAnchor`).
    var anchors: [UInt64: CompactionAnchor] = [:]
    /// Durable commits (one write and one sync each) and batch frames written since open.
    var commits = 0
    var frames = 0
    var appendedEvents: UInt64 = 0
}
