import Crypto
import Foundation

/// Why a blob operation failed. `diskFull` is transient: nothing already stored was touched.
public struct BlobError: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String
    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
    static func io(_ what: String, _ error: any Error) -> BlobError {
        let text = "\(error)"
        let full = text.contains("No space") || text.contains("ENOSPC") || (error as NSError).code == NSFileWriteOutOfSpaceError
            || ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ENOSPC)
        return BlobError(full ? "diskFull" : "storageFailed", "\(what): \(full ? "the disk is full" : text)")
    }
}

/// Where originals and renditions live. Originals are content-addressed (their SHA-256); a video's renditions
/// appear all at once (a staged directory renamed into place) or not at all, so a crashed or failed job
/// leaves nothing half-written where it could be served.
public protocol BlobStore: Sendable {
    /// Moves `file` into the store and returns its content address. The file is durable when this returns.
    func put(file: String) throws(BlobError) -> String
    /// A local path for a stored original (tools read it directly), nil when there is no such blob.
    func path(of blob: String) -> String?
    /// A fresh, empty directory for a job's output, on the same file system as the renditions.
    func makeStagingDirectory(for video: UInt64) throws(BlobError) -> String
    /// Makes a staged directory the video's renditions, replacing any earlier attempt's.
    func publishRenditions(from staging: String, video: UInt64) throws(BlobError)
    /// The directory of a video's renditions, nil when it has none.
    func renditions(of video: UInt64) -> String?
    func removeRenditions(of video: UInt64)
    /// Deletes an original, unless it was stored or re-stored (`put` of the same bytes) after `cutoff`; true
    /// when it is gone (or was never there).
    func removeOriginal(_ blob: String, ifUntouchedSince cutoff: Date) -> Bool
    /// Removes staged output left by jobs that died (called before the queue starts).
    func removeAbandonedStaging()
}

/// The default store: files under the data directory's `blobs/`. Originals at `blobs/<first two hex>/<sha256>`,
/// renditions at `blobs/renditions/<video>/`, staging under `blobs/staging/`.
public struct FileBlobStore: BlobStore {
    public let root: String
    public init(root: String) { self.root = root }

    var staging: String { "\(root)/staging" }
    var renditionsRoot: String { "\(root)/renditions" }

    public func put(file: String) throws(BlobError) -> String {
        let hash = try Self.sha256(ofFile: file)
        let dir = "\(root)/\(hash.prefix(2))", target = "\(dir)/\(hash)"
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            if fm.fileExists(atPath: target) {
                try fm.removeItem(atPath: file)  // the same bytes are already stored
                // Touched, so a sweep deleting an original nobody kept leaves it to the upload storing it now.
                try fm.setAttributes([.modificationDate: Date()], ofItemAtPath: target)
            } else {
                try Self.fsync(file)
                guard rename(file, target) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                try Self.fsync(dir)
            }
        } catch {
            throw BlobError.io("storing blob \(hash)", error)
        }
        return hash
    }

    public func path(of blob: String) -> String? {
        guard blob.count == 64, blob.allSatisfy(\.isHexDigit) else { return nil }
        let p = "\(root)/\(blob.prefix(2))/\(blob)"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    public func makeStagingDirectory(for video: UInt64) throws(BlobError) -> String {
        let dir = "\(staging)/\(video)-\(UInt64.random(in: 0...UInt64.max))"
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw BlobError.io("creating a staging directory", error)
        }
        return dir
    }

    public func publishRenditions(from staged: String, video: UInt64) throws(BlobError) {
        let fm = FileManager.default
        let target = "\(renditionsRoot)/\(video)"
        do {
            try fm.createDirectory(atPath: renditionsRoot, withIntermediateDirectories: true)
            if fm.fileExists(atPath: target) {
                // An earlier attempt got this far and then died: move it aside first, so the swap is one rename.
                let old = "\(staging)/replaced-\(video)-\(UInt64.random(in: 0...UInt64.max))"
                guard rename(target, old) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                try? fm.removeItem(atPath: old)
            }
            guard rename(staged, target) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            try Self.fsync(renditionsRoot)
        } catch {
            throw BlobError.io("publishing the renditions of video \(video)", error)
        }
    }

    public func renditions(of video: UInt64) -> String? {
        let p = "\(renditionsRoot)/\(video)"
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    public func removeRenditions(of video: UInt64) { try? FileManager.default.removeItem(atPath: "\(renditionsRoot)/\(video)") }

    public func removeOriginal(_ blob: String, ifUntouchedSince cutoff: Date) -> Bool {
        guard let p = path(of: blob) else { return true }
        let modified = (try? FileManager.default.attributesOfItem(atPath: p))?[.modificationDate] as? Date ?? .distantPast
        guard modified <= cutoff else { return false }
        return unlink(p) == 0 || errno == ENOENT
    }

    public func removeAbandonedStaging() {
        // A crashed process's ffmpeg may still be writing here: stop it before deleting its directory.
        for job in (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? [] {
            killOrphanedTool(pidFile: "\(staging)/\(job)/\(MediaPipeline.pidFile)")
        }
        try? FileManager.default.removeItem(atPath: staging)
    }

    /// SHA-256 of a file, read in 1 MiB chunks.
    public static func sha256(ofFile path: String) throws(BlobError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BlobError("missingFile", "cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch { throw BlobError.io("reading \(path)", error) }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func fsync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        guard Foundation.fsync(fd) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
