import Foundation
import Hummingbird
import Reel

extension ReelAPI {
    struct SearchHit: Codable {
        var kind: String
        var id: UInt64
        var title: String
        var score: Double
    }
    struct SearchOut: ResponseCodable {
        var results: [SearchHit]
        var nextCursor: String?
    }

    func addDiscoveryRoutes(_ v1: RouterGroup<ReelRequestContext>) {
        v1.get("search") { request, _ -> SearchOut in
            let q = request.uri.queryParameters
            // A query of punctuation alone ("+", "#") has no words to search for: as wrong as none.
            guard let text = q["q"].map(String.init), text.contains(where: { $0.isLetter || $0.isNumber }) else {
                throw APIError.badRequest("missingQuery", "q is required and must contain a letter or a digit")
            }
            let kind = q["type"].map(String.init)
            if let kind, !["video", "user", "sound", "hashtag", "creator"].contains(kind) {
                throw APIError.badRequest("invalidType", "type must be video, user, creator, sound or hashtag, not \(kind)")
            }
            let offset = try q["cursor"].map { c -> Int in
                guard let o = Int(String(c)), o >= 0 else { throw APIError.badRequest("invalidCursor", "cursor \(c) was not issued by this API") }
                return o
            } ?? 0
            let limit = 20
            let hits = try engine.search(text, kind: kind, offset: offset, limit: limit + 1)
            return SearchOut(
                results: hits.prefix(limit).map { SearchHit(kind: $0.kind, id: $0.id, title: $0.title, score: $0.score) },
                nextCursor: hits.count > limit ? String(offset + limit) : nil)
        }
        v1.get("trending") { request, _ -> ItemsOut in
            let region = request.uri.queryParameters["region"].map(String.init) ?? ""
            return ItemsOut(items: engine.trending(region: region, limit: 20).map { VideoOut($0, engine: engine) })
        }
    }
}
