import Crypto
import Foundation

/// Why an upload request was refused; `code` is stable and maps to an HTTP status in a server.
public struct UploadError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case notFound, forbidden, invalid, conflict, diskFull
        /// The uploader's stored videos would exceed `media.maxStoredBytesPerUser`.
        case quota
    }
    public var kind: Kind
    public var code: String
    public var message: String
    init(_ kind: Kind, _ code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}

/// A resumable upload: the bytes arrive as fixed-size chunks in any order, each PUT to its own pre-signed
/// URL. The session is a small JSON file plus one file per received chunk under `uploads/<id>/`, so it
/// survives restarts and a dropped connection resumes by sending only what ``UploadStore/status(_:)`` says is
/// missing.
public struct UploadSession: Sendable, Hashable, Codable {
    public var id: String
    /// The video this upload becomes (its `video.uploadStarted` is already in the journal).
    public var video: UInt64
    public var uploader: UInt64
    public var byteSize: Int64
    public var chunkSize: Int64
    /// Unix seconds after which chunk URLs stop working and the session may be swept.
    public var expiresAt: Int64

    public var chunkCount: Int { Int((byteSize + chunkSize - 1) / chunkSize) }
    public func expectedLength(ofChunk i: Int) -> Int64 { i == chunkCount - 1 ? byteSize - Int64(i) * chunkSize : chunkSize }
}

/// One pre-signed chunk URL: HMAC-SHA256 over the upload, the chunk index, the uploader and the expiry.
public struct ChunkURL: Sendable, Hashable, Codable {
    public var index: Int
    public var url: String
}

/// Upload sessions on disk, with HMAC-signed chunk URLs bound to the uploader.
public final class UploadStore: Sendable {
    public let root: String
    public let chunkSize: Int64
    public let lifetimeSeconds: Int64
    /// The HMAC key's bytes (`SymmetricKey` is not `Sendable`).
    let keyBytes: Data

    /// `root` is the data directory's `uploads/`; the signing key lives there (`.key`, 32 random bytes, 0600),
    /// so URLs stay valid across restarts.
    public init(root: String, chunkSize: Int64 = 8 << 20, lifetimeSeconds: Int64 = 24 * 3600) throws(UploadError) {
        self.root = root
        self.chunkSize = chunkSize
        self.lifetimeSeconds = lifetimeSeconds
        let fm = FileManager.default
        let keyPath = "\(root)/.key"
        do {
            try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
            if let data = fm.contents(atPath: keyPath), data.count == 32 {
                keyBytes = data
            } else {
                let fresh = SymmetricKey(size: .bits256)
                let bytes = fresh.withUnsafeBytes { Data($0) }
                guard fm.createFile(atPath: keyPath, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
                    throw UploadError(.diskFull, "storageFailed", "cannot write the upload signing key")
                }
                keyBytes = bytes
            }
        } catch let e as UploadError {
            throw e
        } catch {
            throw UploadError(.diskFull, "storageFailed", "cannot create \(root): \(error)")
        }
    }

    /// Opens a session for `video` and returns it with one signed URL per chunk (paths relative to the API
    /// root, e.g. `/api/v1/video/upload/<id>/chunks/0?expires=…&signature=…`).
    public func initiate(video: UInt64, uploader: UInt64, byteSize: Int64, now: Int64 = Int64(Date().timeIntervalSince1970)) throws(UploadError)
        -> (UploadSession, [ChunkURL])
    {
        guard byteSize > 0 else { throw UploadError(.invalid, "invalidSize", "an upload must have at least one byte") }
        let id = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let session = UploadSession(id: id, video: video, uploader: uploader, byteSize: byteSize, chunkSize: chunkSize, expiresAt: now + lifetimeSeconds)
        try write(session)
        return (session, urls(for: session))
    }

    public func urls(for s: UploadSession) -> [ChunkURL] {
        (0..<s.chunkCount).map { i in
            ChunkURL(index: i, url: "/api/v1/video/upload/\(s.id)/chunks/\(i)?expires=\(s.expiresAt)&signature=\(signature(s.id, i, s.uploader, s.expiresAt))")
        }
    }

    func signature(_ id: String, _ index: Int, _ uploader: UInt64, _ expires: Int64) -> String {
        let message = "PUT\n\(id)\n\(index)\n\(uploader)\n\(expires)"
        return HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: keyBytes)).map { String(format: "%02x", $0) }.joined()
    }

    public func session(_ id: String) throws(UploadError) -> UploadSession {
        guard id.count == 32, id.allSatisfy(\.isHexDigit),
            let data = FileManager.default.contents(atPath: "\(root)/\(id)/session.json"),
            let s = try? JSONDecoder().decode(UploadSession.self, from: data)
        else { throw UploadError(.notFound, "unknownUpload", "no upload \(id)") }
        return s
    }

    /// Stores one chunk. Idempotent: the same bytes again succeed; different bytes for a stored chunk are a
    /// conflict. `sha256` (hex) is the client's checksum of the chunk and must match.
    public func putChunk(
        upload id: String, index: Int, data: Data, sha256: String, uploader: UInt64, expires: Int64, signature given: String,
        now: Int64 = Int64(Date().timeIntervalSince1970)
    ) throws(UploadError) {
        let s = try session(id)
        let expected = signature(id, index, uploader, expires)
        guard constantTimeEqual(expected, given.lowercased()) else {
            throw UploadError(.forbidden, "badSignature", "the chunk URL's signature is not valid for this upload, chunk and uploader")
        }
        guard uploader == s.uploader else { throw UploadError(.forbidden, "wrongUploader", "upload \(id) belongs to another user") }
        guard expires == s.expiresAt, now <= expires else { throw UploadError(.forbidden, "expired", "the chunk URL expired at \(expires)") }
        guard index >= 0, index < s.chunkCount else {
            throw UploadError(.invalid, "chunkOutOfRange", "chunk \(index) is outside 0..<\(s.chunkCount)")
        }
        guard Int64(data.count) == s.expectedLength(ofChunk: index) else {
            throw UploadError(.invalid, "wrongLength", "chunk \(index) must be \(s.expectedLength(ofChunk: index)) bytes, not \(data.count)")
        }
        let actual = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        guard actual == sha256.lowercased() else {
            throw UploadError(.invalid, "checksumMismatch", "chunk \(index) hashes to \(actual), not the \(sha256) sent with it")
        }
        let path = "\(root)/\(id)/chunk-\(index)"
        let fm = FileManager.default
        if let existing = fm.contents(atPath: path) {
            if existing == data { return }
            throw UploadError(.conflict, "chunkConflict", "chunk \(index) was already received with different bytes")
        }
        // A temporary file of this request's own, then `link`, which refuses to replace: of two PUTs of one
        // chunk racing with different bytes, exactly one is stored and the other is told (a `rename` let
        // both answer 204, the last one winning).
        let temp = "\(path).\(UUID().uuidString).part"
        defer { unlink(temp) }
        guard fm.createFile(atPath: temp, contents: data) else {
            throw UploadError(.diskFull, "diskFull", "chunk \(index) could not be stored (is the disk full?)")
        }
        guard link(temp, path) == 0 else {
            if errno == EEXIST {
                if fm.contents(atPath: path) == data { return }
                throw UploadError(.conflict, "chunkConflict", "chunk \(index) was already received with different bytes")
            }
            throw UploadError(.diskFull, "diskFull", "chunk \(index) could not be stored (is the disk full?)")
        }
    }

    /// The chunks received so far, and those still missing.
    public func status(_ id: String) throws(UploadError) -> (session: UploadSession, received: [Int], missing: [Int]) {
        let s = try session(id)
        let have = Set(((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(id)")) ?? []).compactMap { name -> Int? in
            name.hasPrefix("chunk-") && !name.hasSuffix(".part") ? Int(name.dropFirst(6)) : nil
        })
        let all = Array(0..<s.chunkCount)
        return (s, all.filter(have.contains), all.filter { !have.contains($0) })
    }

    /// Joins the chunks into one file and moves it into `blobs`; returns the blob id. The session stays until
    /// ``discard(_:)``, so that when the caller's next step refuses (bad metadata), the client can fix it and
    /// complete again without uploading again (the blob store keeps one copy of the same bytes).
    public func complete(_ id: String, uploader: UInt64, into blobs: any BlobStore) throws(UploadError) -> (UploadSession, String) {
        let (s, _, missing) = try status(id)
        guard uploader == s.uploader else { throw UploadError(.forbidden, "wrongUploader", "upload \(id) belongs to another user") }
        guard missing.isEmpty else {
            throw UploadError(.conflict, "incomplete", "upload \(id) is missing \(missing.count) of \(s.chunkCount) chunks (first: \(missing[0]))")
        }
        let assembled = "\(root)/\(id)/assembled-\(UInt64.random(in: 0...UInt64.max))"
        let fm = FileManager.default
        guard fm.createFile(atPath: assembled, contents: nil), let out = FileHandle(forWritingAtPath: assembled) else {
            throw UploadError(.diskFull, "diskFull", "cannot assemble upload \(id) (is the disk full?)")
        }
        do {
            for i in 0..<s.chunkCount {
                guard let chunk = fm.contents(atPath: "\(root)/\(id)/chunk-\(i)") else { throw UploadError(.conflict, "incomplete", "chunk \(i) vanished") }
                try out.write(contentsOf: chunk)
            }
            try out.close()
        } catch {
            try? out.close()
            try? fm.removeItem(atPath: assembled)
            if let e = error as? UploadError { throw e }
            throw UploadError(.diskFull, "diskFull", "cannot assemble upload \(id): \(error)")
        }
        let blob: String
        do { blob = try blobs.put(file: assembled) } catch {
            try? fm.removeItem(atPath: assembled)
            throw UploadError(error.code == "diskFull" ? .diskFull : .invalid, error.code, error.message)
        }
        return (s, blob)
    }

    /// Deletes a session and its chunks (after its upload was recorded).
    public func discard(_ id: String) {
        guard id.count == 32, id.allSatisfy(\.isHexDigit) else { return }
        try? FileManager.default.removeItem(atPath: "\(root)/\(id)")
    }

    /// Deletes sessions whose URLs expired; returns how many.
    @discardableResult
    public func sweepExpired(now: Int64 = Int64(Date().timeIntervalSince1970)) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        var swept = 0
        for name in names where !name.hasPrefix(".") {
            if let s = try? session(name), s.expiresAt < now {
                try? FileManager.default.removeItem(atPath: "\(root)/\(name)")
                swept += 1
            }
        }
        return swept
    }

    func write(_ s: UploadSession) throws(UploadError) {
        let dir = "\(root)/\(s.id)"
        guard (try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)) != nil,
            let data = try? JSONEncoder().encode(s), FileManager.default.createFile(atPath: "\(dir)/session.json", contents: data)
        else { throw UploadError(.diskFull, "diskFull", "cannot create upload session (is the disk full?)") }
    }
}

func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}
