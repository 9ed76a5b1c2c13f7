import Crypto
import Foundation
import Hummingbird
import Reel
import ReelMedia
import Synchronization

/// Serves a video's renditions, fallback and thumbnails from the blob store: correct content types, `Range`
/// requests, strong `ETag`s, `Cache-Control: immutable` (a video's files never change once published), and
/// 404 for a video that is not published (removed and rejected videos' files are no longer served). The
/// first segments of videos about to be watched are kept in a bounded in-memory cache.
public final class MediaFiles: Sendable {
    let engine: ReelEngine
    let blobs: any BlobStore
    let cache: FirstSegmentCache

    public init(engine: ReelEngine, blobs: any BlobStore, cacheBytes: Int = 64 << 20) {
        self.engine = engine
        self.blobs = blobs
        cache = FirstSegmentCache(capacityBytes: cacheBytes)
    }

    static let contentTypes = [
        "m3u8": "application/vnd.apple.mpegurl", "ts": "video/mp2t", "mp4": "video/mp4", "jpg": "image/jpeg", "json": "application/json",
    ]
    /// Files a client may fetch (analysis output such as media.json stays private).
    static func servable(_ path: String) -> Bool {
        let ext = (path as NSString).pathExtension
        return ["m3u8", "ts", "mp4", "jpg"].contains(ext) && !path.contains("..") && !path.hasPrefix("/") && !path.contains("//")
    }

    /// The lowest rung's first segment: what a player fetches first.
    public static func firstSegmentPath(lowestRung: String) -> String { "\(lowestRung)/seg_000.ts" }

    /// Warms the cache with the first segments of `videos` (the next items of a feed page).
    public func prefetch(_ videos: [(id: UInt64, lowestRung: String)]) {
        for v in videos {
            let rel = Self.firstSegmentPath(lowestRung: v.lowestRung)
            guard cache.get("\(v.id)/\(rel)") == nil, let dir = blobs.renditions(of: v.id),
                let data = FileManager.default.contents(atPath: "\(dir)/\(rel)")
            else { continue }
            cache.put("\(v.id)/\(rel)", data)
        }
    }

    public func response(video: UInt64, path: String, request: Request) throws -> Response {
        guard Self.servable(path), let details = engine.video(video), details.status == .published, let dir = blobs.renditions(of: video) else {
            throw APIError.notFound("no media \(path) for video \(video)")
        }
        let key = "\(video)/\(path)"
        let data: Data
        if let cached = cache.get(key) {
            data = cached
        } else {
            guard let read = FileManager.default.contents(atPath: "\(dir)/\(path)") else { throw APIError.notFound("no media \(path) for video \(video)") }
            data = read
        }
        let etag = "\"" + Insecure.SHA1.hash(data: data).prefix(10).map { String(format: "%02x", $0) }.joined() + "\""
        var headers: HTTPFields = [
            .contentType: Self.contentTypes[(path as NSString).pathExtension] ?? "application/octet-stream",
            .eTag: etag, .cacheControl: "public, max-age=31536000, immutable", .acceptRanges: "bytes",
        ]
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
        if let range = request.headers[.range] {
            guard let r = Self.parseRange(range, size: data.count) else {
                var e = APIError(.rangeNotSatisfiable, "badRange", "range \(range) is outside the file's \(data.count) bytes")
                e.headers[.contentRange] = "bytes */\(data.count)"  // and no caching headers: an error is not immutable
                throw e
            }
            headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound)/\(data.count)"
            return Response(status: .partialContent, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data[r])))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range (multiple ranges are not supported: nil).
    static func parseRange(_ header: String, size: Int) -> ClosedRange<Int>? {
        guard header.hasPrefix("bytes="), !header.contains(","), size > 0 else { return nil }
        let spec = header.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        if spec[0].isEmpty {
            guard let n = Int(spec[1]), n > 0 else { return nil }
            return max(0, size - n)...(size - 1)
        }
        guard let start = Int(spec[0]), start < size else { return nil }
        let end = spec[1].isEmpty ? size - 1 : min(Int(spec[1]) ?? -1, size - 1)
        return end >= start ? start...end : nil
    }
}

/// A small LRU of first segments, bounded in bytes.
final class FirstSegmentCache: Sendable {
    let capacityBytes: Int
    let state = Mutex((entries: [String: (data: Data, used: UInt64)](), bytes: 0, clock: UInt64(0)))
    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    func get(_ key: String) -> Data? {
        state.withLock { s in
            guard var e = s.entries[key] else { return nil }
            s.clock += 1
            e.used = s.clock
            s.entries[key] = e
            return e.data
        }
    }

    func put(_ key: String, _ data: Data) {
        guard data.count <= capacityBytes / 4 else { return }
        state.withLock { s in
            s.clock += 1
            if let old = s.entries[key] { s.bytes -= old.data.count }
            s.entries[key] = (data, s.clock)
            s.bytes += data.count
            while s.bytes > capacityBytes, let victim = s.entries.min(by: { $0.value.used < $1.value.used }) {
                s.bytes -= victim.value.data.count
                s.entries[victim.key] = nil
            }
        }
    }
    var count: Int { state.withLock { $0.entries.count } }
}
