import Foundation
import Hummingbird

/// The web client: static files shipped as this module's resources (no build step), served at `/`.
enum WebClient {
    static let files: [String: (name: String, type: String)] = [
        "": ("index.html", "text/html; charset=utf-8"), "index.html": ("index.html", "text/html; charset=utf-8"),
        "app.js": ("app.js", "text/javascript; charset=utf-8"), "style.css": ("style.css", "text/css; charset=utf-8"),
    ]

    static func addRoutes(to router: Router<ReelRequestContext>) {
        for (path, file) in files {
            router.get(RouterPath(stringLiteral: "/" + path)) { _, _ -> Response in
                guard let url = Bundle.module.url(forResource: file.name, withExtension: nil, subdirectory: "Public"),
                    let data = FileManager.default.contents(atPath: url.path)
                else { throw APIError.notFound("the web client is not installed") }
                var headers = HTTPFields()
                headers[.contentType] = file.type
                headers[.cacheControl] = "no-cache"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
    }
}
