import Foundation
import Reel

extension MediaService {
    /// Deletes the files no video needs any more and ends the uploads nobody finished, from what the media fold
    /// says (so a crash before a deletion is made good by the next start's replay):
    /// - originals that no video keeps (every video using those bytes was rejected or failed, or its creator
    ///   was erased), unless the file was touched in the last 10 minutes (an identical upload being stored now);
    /// - renditions of erased creators' videos (their faces and voices are personal data);
    /// - upload sessions past their expiry, and videos left `uploading` a day after their session expired,
    ///   which are removed with that reason (they were never complete, so never visible).
    /// A moderation takedown keeps both original and renditions: it may be restored.
    public func sweep(now: Date = Date()) async {
        let (unused, purged, uploading) = fold.state.withLock { ($0.unusedBlobs, $0.purgedRenditions, $0.uploading) }
        let swept = scheduler.withLock { s -> (Set<String>, Set<UInt64>) in
            s.sweptBlobs.formIntersection(unused)  // used again since: it may need deleting again later
            return (s.sweptBlobs, s.sweptRenditions)
        }
        for blob in unused.subtracting(swept.0) where blobs.removeOriginal(blob, ifUntouchedSince: now - 600) {
            _ = scheduler.withLock { $0.sweptBlobs.insert(blob) }
        }
        for video in purged.subtracting(swept.1) {
            blobs.removeRenditions(of: video)
            _ = scheduler.withLock { $0.sweptRenditions.insert(video) }
        }
        uploads.sweepExpired(now: Int64(now.timeIntervalSince1970))
        let abandonedBefore = now.timeIntervalSince1970 - Double(uploads.lifetimeSeconds) - 3600
        for (video, started) in uploading
        where started.seconds < abandonedBefore && engine.video(video)?.status == .uploading {
            do {
                try await engine.remove(
                    video: video, reason: "abandoned: the upload was not completed before its session expired")
                logger.info("abandoned upload removed", metadata: ["video": "\(video)"])
            } catch {
                logger.warning(
                    "could not remove abandoned upload", metadata: ["video": "\(video)", "error": "\(error)"])
            }
        }
    }

    /// Bytes of a creator's uploads that count against `media.maxStoredBytesPerUser`.
    public func storedBytes(of creator: UInt64) -> UInt64 { fold.state.withLock { $0.storedBytes[creator] ?? 0 } }
}
