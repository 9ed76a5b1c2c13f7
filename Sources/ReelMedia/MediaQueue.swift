import Reel

/// One video the media service still owes a decision: transcode it, or (processed before a restart) review
/// and publish it.
public struct MediaJob: Sendable, Hashable {
    public enum Stage: Sendable, Hashable {
        case transcode
        /// Processed; moderation and publication remain. Carries what processing recorded.
        case review(ProcessingSucceeded)
    }
    public var video: UInt64
    public var creator: UInt64
    public var blob: String
    public var caption: String
    public var hashtags: [String]
    public var sound: UInt64
    public var source: UInt64
    public var sourceKind: String
    public var stage: Stage
}

/// The media service's read model, folded from the journal like any view (pure and deterministic): the
/// pending jobs (uploaded but not processed, processed but not published or rejected), and the indexes
/// that matching needs: every analysed video's frame hashes and every original sound's fingerprint.
/// After a restart, replaying the journal rebuilds exactly the queue that was pending.
public struct MediaQueueState: Sendable {
    public private(set) var pending: [UInt64: MediaJob] = [:]
    /// (video, one dHash a second), in processing order: duplicates link to the earliest match.
    public private(set) var frameIndex: [(video: UInt64, hashes: [UInt64])] = []
    /// Original sounds (a sound's id is the video that introduced it) and their fingerprints, in order.
    public private(set) var soundIndex: [(sound: UInt64, fingerprint: [UInt32])] = []
    /// Near-duplicate links recorded so far: copy → original.
    public private(set) var duplicates: [UInt64: UInt64] = [:]
    /// Videos that moderation took down (and did not restore): a new upload that looks like one is held.
    public private(set) var takenDown: Set<UInt64> = []
    /// What each upload keeps in the blob store: its original (content-addressed, so shared by identical
    /// uploads) and the bytes it counts against its creator's quota while it is neither refused nor removed.
    public private(set) var holdings: [UInt64: Holding] = [:]
    public struct Holding: Sendable, Hashable {
        public var creator: UInt64
        public var blob = ""
        public var bytes: UInt64
        public var counted = true
    }
    /// Bytes of each creator's uploads that are neither refused nor removed (`media.maxStoredBytesPerUser`).
    public private(set) var storedBytes: [UInt64: UInt64] = [:]
    /// How many videos keep each original; an original nobody keeps is in `unusedBlobs`, to be deleted.
    public private(set) var blobKeepers: [String: Int] = [:]
    public private(set) var unusedBlobs: Set<String> = []
    /// Videos of erased creators: their renditions are personal data, to be deleted.
    public private(set) var purgedRenditions: Set<UInt64> = []
    /// Uploads started and not completed, with when they started (abandoned ones are removed).
    public private(set) var uploading: [UInt64: Timestamp] = [:]

    public init() {}

    /// The video stops counting against its creator's quota (refused or removed).
    private mutating func uncount(_ video: UInt64) {
        guard var h = holdings[video], h.counted else { return }
        h.counted = false
        holdings[video] = h
        storedBytes[h.creator] = (storedBytes[h.creator] ?? 0) > h.bytes ? storedBytes[h.creator]! - h.bytes : nil
    }

    /// The video no longer keeps its original (refused, or its creator erased).
    private mutating func release(_ video: UInt64) {
        uncount(video)
        guard var h = holdings[video], !h.blob.isEmpty else { return }
        let n = (blobKeepers[h.blob] ?? 1) - 1
        blobKeepers[h.blob] = n > 0 ? n : nil
        if n <= 0 { unusedBlobs.insert(h.blob) }
        h.blob = ""
        holdings[video] = h
    }

    public mutating func apply(_ event: ReelEvent) {
        applyHoldings(event)
        switch event {
        case .uploadCompleted(let e):
            pending[e.video] = MediaJob(
                video: e.video, creator: e.creator, blob: e.blob, caption: e.caption, hashtags: e.hashtags, sound: e.sound, source: e.source,
                sourceKind: e.sourceKind, stage: .transcode)
        case .processingSucceeded(let e):
            pending[e.video]?.stage = .review(e)
            guard e.width != 0 else { return }
            if !e.frameHashes.isEmpty { frameIndex.append((e.video, e.frameHashes)) }
            if e.sound == e.video, !e.audioFingerprint.isEmpty { soundIndex.append((e.video, e.audioFingerprint)) }
            if e.duplicateOf != 0 { duplicates[e.video] = e.duplicateOf }
        case .processingFailed(let e): pending[e.video] = nil
        case .published(let e): pending[e.video] = nil
        case .rejected(let e): pending[e.video] = nil
        // Held for a moderator, or removed: nothing more for the media service to decide.
        case .held(let e): pending[e.video] = nil
        case .removed(let e): pending[e.video] = nil
        case .moderationDecided(let e) where e.target == .video && e.action == .takedown: takenDown.insert(e.id)
        case .moderationDecided(let e) where e.target == .video && e.action == .restore: takenDown.remove(e.id)
        default: return
        }
    }

    /// Quota, originals and abandoned uploads: what each upload holds, folded like the rest.
    private mutating func applyHoldings(_ event: ReelEvent) {
        switch event {
        case .uploadStarted(let e):
            holdings[e.video] = Holding(creator: e.creator, bytes: e.byteSize)
            storedBytes[e.creator, default: 0] += e.byteSize
            uploading[e.video] = e.occurredAt
        case .uploadCompleted(let e):
            uploading[e.video] = nil
            guard var h = holdings[e.video], h.blob.isEmpty else { return }
            h.blob = e.blob
            holdings[e.video] = h
            blobKeepers[e.blob, default: 0] += 1
            unusedBlobs.remove(e.blob)
        case .rejected(let e): release(e.video)
        case .processingFailed(let e): release(e.video)
        case .removed(let e):
            // Kept: a takedown may be restored. Its bytes stop counting.
            uploading[e.video] = nil
            uncount(e.video)
        case .restored(let e):
            guard var h = holdings[e.video], !h.counted else { return }
            h.counted = true
            holdings[e.video] = h
            storedBytes[h.creator, default: 0] += h.bytes
        case .userErased(let u):
            for (video, h) in holdings where h.creator == u.user {
                release(video)
                purgedRenditions.insert(video)
                uploading[video] = nil
            }
            storedBytes[u.user] = nil
        default: return
        }
    }

    /// The earliest other video this one nearly duplicates (0 for none).
    public func nearDuplicate(of video: UInt64, hashes: [UInt64]) -> UInt64 {
        frameIndex.first { $0.video != video && PerceptualHash.isNearDuplicate(hashes, of: $0.hashes) }?.video ?? 0
    }

    /// The earliest video moderation took down that this one nearly duplicates (0 for none): a re-upload of
    /// removed content waits for a moderator instead of being published.
    public func takenDownOriginal(of video: UInt64, hashes: [UInt64]) -> UInt64 {
        guard !takenDown.isEmpty, !hashes.isEmpty else { return 0 }
        return frameIndex.first { $0.video != video && takenDown.contains($0.video) && PerceptualHash.isNearDuplicate(hashes, of: $0.hashes) }?.video ?? 0
    }

    /// The existing sound whose fingerprint best matches (0 for none).
    public func matchingSound(_ fingerprint: [UInt32], excluding video: UInt64) -> UInt64 {
        var best: (UInt64, Double) = (0, 0)
        for (sound, print) in soundIndex where sound != video {
            let s = AudioFingerprint.similarity(fingerprint, print)
            if s >= AudioFingerprint.sameSoundThreshold, s > best.1 { best = (sound, s) }
        }
        return best.0
    }
}
