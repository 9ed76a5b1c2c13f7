import Foundation
import Reel

extension MediaService {
    /// Starts an upload for `creator`: records `video.uploadStarted` and opens a resumable session with one
    /// signed URL per chunk. Throws ``UploadError`` or `ReelError`.
    public func beginUpload(creator: UInt64, byteSize: Int64) async throws -> (video: UInt64, session: UploadSession, chunks: [ChunkURL]) {
        guard byteSize > 0, byteSize <= Int64(engine.configuration.media.maxUploadBytes) else {
            throw UploadError(.invalid, "uploadTooLarge", "an upload of \(byteSize) bytes is outside 1...\(engine.configuration.media.maxUploadBytes) (media.maxUploadBytes)")
        }
        let quota = UInt64(engine.configuration.media.maxStoredBytesPerUser), used = storedBytes(of: creator)
        guard used + UInt64(byteSize) <= quota else {
            throw UploadError(
                .quota, "storageQuotaExceeded",
                "this upload of \(byteSize) bytes would bring your stored videos to \(used + UInt64(byteSize)) bytes; at most \(quota) (media.maxStoredBytesPerUser): remove some videos first")
        }
        let video = try await engine.startUpload(creator: creator, byteSize: UInt64(byteSize))
        let (session, chunks) = try uploads.initiate(video: video, uploader: creator, byteSize: byteSize)
        return (video, session, chunks)
    }

    /// Assembles a complete upload into the blob store and records `video.uploadCompleted` with its metadata;
    /// processing then starts on its own. Returns the video id.
    @discardableResult
    public func finishUpload(_ uploadID: String, uploader: UInt64, metadata: VideoMetadata) async throws -> UInt64 {
        let (session, blob) = try uploads.complete(uploadID, uploader: uploader, into: blobs)
        try await engine.completeUpload(video: session.video, metadata: metadata, blob: blob)
        uploads.discard(uploadID)  // only now: a refused completion can be retried with fixed metadata
        return session.video
    }

    /// Uploads a local file in one step (demo content, imports, the command line): the same events and the
    /// same pipeline as a chunked upload. The file is copied; the original stays where it is.
    @discardableResult
    public func ingest(file: String, creator: UInt64, metadata: VideoMetadata) async throws -> UInt64 {
        let size = ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int64) ?? 0
        guard size > 0 else { throw UploadError(.invalid, "emptyUpload", "\(file) is empty or unreadable") }
        let video = try await engine.startUpload(creator: creator, byteSize: UInt64(size))
        let staging = try blobs.makeStagingDirectory(for: video)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        do { try FileManager.default.copyItem(atPath: file, toPath: "\(staging)/original") } catch {
            let e = BlobError.io("copying \(file)", error)
            throw UploadError(e.code == "diskFull" ? .diskFull : .invalid, e.code, e.message)
        }
        let blob = try blobs.put(file: "\(staging)/original")
        try await engine.completeUpload(video: video, metadata: metadata, blob: blob)
        return video
    }
}
