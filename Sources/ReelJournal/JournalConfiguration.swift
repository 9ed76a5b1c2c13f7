/// When an append is acknowledged relative to the data reaching stable storage.
public enum Durability: Hashable, Sendable {
    /// The default: an append returns only after its batch is on disk (`fdatasync`). Nothing acknowledged is
    /// ever lost, even on power failure.
    case syncEachCommit
    /// Appends return after `write`; a background sync runs at this interval. A process crash loses nothing,
    /// a power failure may lose the last interval's acknowledged appends.
    case syncInterval(milliseconds: Int)
    /// No sync until a segment is sealed or the journal closes: for bulk import only. A power failure may lose
    /// everything since the last sealed segment. Named to be hard to pick by accident.
    case noSyncUnsafe
}

/// How a journal is opened. Defaults are what a server should use.
public struct JournalConfiguration: Sendable {
    /// The journal directory (inside a data directory: `<data-dir>/journal`).
    public var directory: String
    /// A segment is sealed and a new one started once it reaches this many bytes (default 16 MiB). Smaller
    /// segments reopen faster after a crash (the active one is scanned); larger ones mean fewer files.
    public var segmentSize: Int = 16 << 20
    public var durability: Durability = .syncEachCommit
    /// zstd level for batch compression; 0 stores batches uncompressed. Level 1 is the measured sweet spot.
    public var compressionLevel: Int32 = 1
    /// A batch (the unit of compression, checksum and hash chain) is closed after this many events, except
    /// that one append call is never split across batches. Small batches keep stream reads cheap.
    public var maxBatchEvents: Int = 256
    /// Bytes of decompressed frames kept for stream reads (entity activations, per-key audits), so that
    /// events read one at a time from a frame decompress it once. 0 turns the cache off.
    public var frameCacheBytes: Int = 32 << 20
    /// Open without writing anything: no lock, no torn-tail repair, no index rebuild on disk.
    public var readOnly: Bool = false
    /// Checks every frame CRC of the sealed segments whose indexes are trusted at open (`SealedSegmentCheck`),
    /// so damage on disk is refused before anything is served. Off only for benchmarks of the open itself.
    public var checkSealedSegmentsAtOpen = true
    public var clock: any JournalClock = SystemClock()
    /// Seals and opens personal data; required to append events that carry `PersonalData`.
    public var cipher: (any PersonalDataCipher)?
    public var fileSystem: any JournalFileSystem = PosixFileSystem()

    public init(directory: String) { self.directory = directory }
}

/// What reopening found and repaired.
public struct RecoveryReport: Sendable, CustomStringConvertible {
    /// Bytes cut from the end of the active segment because they did not form a valid frame (a write that was
    /// never acknowledged).
    public var truncatedBytes = 0
    public var truncatedFile: String?
    public var truncatedOffset: Int?
    public var truncationReason: String?
    /// Index files that were missing or damaged and were rebuilt from their segments.
    public var rebuiltIndexes: [String] = []
    /// Files removed because they were left half-created by a crash.
    public var removedFiles: [String] = []
    public var segments = 0
    /// Sealed segments whose every frame was checked at open (the others were rebuilt by a full scan).
    public var checkedSegments = 0
    public var nextPosition: UInt64 = 0

    public var isClean: Bool { truncatedBytes == 0 && rebuiltIndexes.isEmpty && removedFiles.isEmpty }

    public var description: String {
        var parts = ["\(segments) segment(s), next position \(nextPosition)"]
        if let f = truncatedFile, let o = truncatedOffset {
            parts.append("cut a torn tail of \(truncatedBytes) bytes from \(f) at byte \(o) (\(truncationReason ?? ""))")
        }
        if !rebuiltIndexes.isEmpty { parts.append("rebuilt \(rebuiltIndexes.joined(separator: ", "))") }
        if !removedFiles.isEmpty { parts.append("removed half-created \(removedFiles.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}
