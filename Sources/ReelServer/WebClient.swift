import Foundation
import HTTPTypes
import Hummingbird

/// The web client: static files shipped as this module's resources (no build step), served at `/`.
enum WebClient {
    static let files: [String: (name: String, type: String)] = [
        "": ("index.html", "text/html; charset=utf-8"), "index.html": ("index.html", "text/html; charset=utf-8"),
        "app.js": ("app.js", "text/javascript; charset=utf-8"), "style.css": ("style.css", "text/css; charset=utf-8"),
    ]

    /// The page loads only its own script, style, media and API: no inline script, no framing by other
    /// sites, no sniffing, no referrer to other origins. (Inline `style` attributes stay allowed: the
    /// interest bars set a CSS variable that way.)
    static let securityHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self'; "
                + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
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
                for (name, value) in securityHeaders { headers[HTTPField.Name(name)!] = value }
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
    }
}
