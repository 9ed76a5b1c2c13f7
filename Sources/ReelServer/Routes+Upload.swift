import Foundation
import Hummingbird
import Reel
import ReelMedia

extension ReelAPI {
    struct NewUpload: Decodable { var byteSize: Int64 }
    struct ChunkOut: Codable {
        var index: Int
        var url: String
    }
    struct UploadOut: ResponseCodable {
        var uploadId: String
        var videoId: UInt64
        var chunkSize: Int64
        var chunks: [ChunkOut]
        var expiresAt: String
    }
    struct UploadStatusOut: ResponseCodable {
        var uploadId: String
        var videoId: UInt64
        var received: [Int]
        var missing: [Int]
    }
    struct Complete: Decodable {
        var caption: String?
        var hashtags: [String]?
        var sound: UInt64?
        var duetOf: UInt64?
        var stitchOf: UInt64?
    }
    struct Accepted: ResponseCodable {
        var videoId: UInt64
        var status: String
    }

    func addUploadRoutes(_ v1: RouterGroup<ReelRequestContext>) {
        v1.post("video/upload") { request, context -> EditedResponse<UploadOut> in
            let creator = try user(request)
            try limit(uploadLimiter, creator, "upload")
            let body = try await request.decode(as: NewUpload.self, context: context)
            let (video, session, chunks) = try await media.beginUpload(creator: creator, byteSize: body.byteSize)
            return EditedResponse(
                status: .created,
                response: UploadOut(
                    uploadId: session.id, videoId: video, chunkSize: session.chunkSize, chunks: chunks.map { ChunkOut(index: $0.index, url: $0.url) },
                    expiresAt: Timestamp(seconds: Double(session.expiresAt)).description))
        }
        /// A chunk, at its pre-signed URL: the signature binds upload, index, uploader and expiry; the body's
        /// SHA-256 comes in `X-Content-SHA256`.
        v1.put("video/upload/{upload}/chunks/{index}") { request, context -> Response in
            let uploader = try user(request)
            try limit(uploadLimiter, uploader, "upload")
            let upload = try context.parameters.require("upload")
            let index = try context.parameters.require("index", as: Int.self)
            let q = request.uri.queryParameters
            guard let expires = q["expires"].flatMap({ Int64(String($0)) }), let signature = q["signature"].map(String.init) else {
                throw APIError(.forbidden, "unsigned", "chunk URLs carry expires and signature; use the URLs from POST /api/v1/video/upload")
            }
            guard let sha = request.headers["x-content-sha256"] else {
                throw APIError.badRequest("missingChecksum", "send the chunk's SHA-256 (hex) in X-Content-SHA256")
            }
            let chunkLimit = Int(media.uploads.chunkSize) + 1
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: chunkLimit) } catch {
                throw APIError(.contentTooLarge, "chunkTooLarge", "a chunk is at most \(media.uploads.chunkSize) bytes")
            }
            try media.uploads.putChunk(
                upload: upload, index: index, data: Data(buffer: buffer), sha256: sha, uploader: uploader, expires: expires, signature: signature)
            return Response(status: .noContent)
        }
        v1.get("video/upload/{upload}") { request, context -> UploadStatusOut in
            let uploader = try user(request)
            let (s, received, missing) = try media.uploads.status(try context.parameters.require("upload"))
            guard s.uploader == uploader else { throw APIError(.forbidden, "wrongUploader", "this upload belongs to another user") }
            return UploadStatusOut(uploadId: s.id, videoId: s.video, received: received, missing: missing)
        }
        v1.post("video/upload/{upload}/complete") { request, context -> EditedResponse<Accepted> in
            let uploader = try user(request)
            let body = try await request.decode(as: Complete.self, context: context)
            if body.duetOf != nil && body.duetOf != 0 && body.stitchOf != nil && body.stitchOf != 0 {
                throw APIError.badRequest("invalidSource", "a video is a duet or a stitch, not both")
            }
            let source = (body.duetOf ?? 0) != 0 ? body.duetOf! : (body.stitchOf ?? 0)
            let kind = (body.duetOf ?? 0) != 0 ? "duet" : source != 0 ? "stitch" : ""
            let metadata = VideoMetadata(
                caption: body.caption ?? "", hashtags: (body.hashtags ?? []).map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "# ")) },
                sound: body.sound ?? 0, source: source, sourceKind: kind)
            let video = try await media.finishUpload(try context.parameters.require("upload"), uploader: uploader, metadata: metadata)
            return EditedResponse(status: .accepted, response: Accepted(videoId: video, status: "processing"))
        }
        v1.get("video/{id}") { _, context -> VideoOut in
            let id = try context.parameters.require("id", as: UInt64.self)
            guard let v = engine.video(id) else { throw APIError.notFound("no video \(id)") }
            return VideoOut(v, engine: engine, reason: [.rejected, .failed, .removed].contains(v.status) ? try reason(of: id) : nil)
        }
    }

    /// Why a video failed, was rejected or removed: the reason its last such event recorded.
    func reason(of video: UInt64) throws -> String? {
        try engine.events(of: .video, video).reversed().lazy.compactMap { e -> String? in
            switch e.event {
            case .processingFailed(let f): f.reason
            case .rejected(let r): r.reason
            case .removed(let r): r.reason
            default: nil
            }
        }.first
    }
}
