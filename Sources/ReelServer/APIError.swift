import Foundation
import GRDB
import Hummingbird
import NIOCore
import Reel
import ReelMedia

/// Every error the API returns: `{"error": {"code": …, "message": …}}` with a 4xx status for anything the
/// client can fix, 503 when the engine cannot take it now, and 500 only for a real fault.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ["error": ["code": code, "message": message]]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        var h = headers
        h[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }
    static func notFound(_ what: String) -> APIError { APIError(.notFound, "notFound", what) }
    static let unauthorized = APIError(.unauthorized, "unauthorized", "a valid bearer token is required (POST /api/v1/sessions to log in)")
    static let forbidden = APIError(.forbidden, "forbidden", "this token may not do that")
    static let suspended = APIError(.forbidden, "accountSuspended", "moderation suspended this account; an appeal goes to the platform's moderators")

    /// The engine's categories, as HTTP says them.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as ReelError:
            let status: HTTPResponse.Status =
                switch e.category {
                case .invalid: .badRequest
                case .rejected: .unprocessableContent
                case .notFound: .notFound
                case .conflict: .conflict
                case .unavailable: .serviceUnavailable
                case .locked: .serviceUnavailable
                case .failure: .internalServerError
                }
            // A full disk is 507 wherever it is found (journal, blobs, uploads).
            return APIError(e.code == "diskFull" ? HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage") : status, e.code, e.message)
        case let e as UploadError:
            let status: HTTPResponse.Status =
                switch e.kind {
                case .notFound: .notFound
                case .forbidden: .forbidden
                case .invalid: .badRequest
                case .conflict: .conflict
                case .diskFull: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
                case .quota: .unprocessableContent
                }
            return APIError(status, e.code, e.message)
        case let e as BlobError: return APIError(e.code == "diskFull" ? HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage") : .internalServerError, e.code, e.message)
        case let e as HTTPError:
            let code =
                switch e.status {
                case .badRequest: "malformedBody"  // Hummingbird's decoding errors
                case .notFound: "notFound"
                case .methodNotAllowed: "methodNotAllowed"
                case .contentTooLarge: "bodyTooLarge"
                default: "httpError"
                }
            return APIError(e.status, code, e.body ?? "\(e.status.reasonPhrase)")
        case let e as DatabaseError where e.resultCode == .SQLITE_FULL:
            // The accounts store on a full disk (sign-up, log-out): 507 like the journal's.
            return APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "diskFull", "the disk is full; nothing was written: \(e.message ?? "")")
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, "bodyTooLarge", "the request body is larger than this endpoint accepts")
        case is DecodingError:
            return APIError(.badRequest, "malformedBody", "the JSON body does not match the expected shape: \(describe(error as! DecodingError))")
        default:
            return APIError(.internalServerError, "internal", "\(error)")
        }
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let key, _): "missing field \"\(key.stringValue)\""
        case .typeMismatch(_, let c): "wrong type at \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\""
        case .valueNotFound(_, let c): "null at \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\""
        case .dataCorrupted(let c): c.codingPath.isEmpty ? "not valid JSON" : "bad value at \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\""
        @unknown default: "\(e)"
        }
    }
}

/// Turns every thrown error into the JSON error shape (Hummingbird's own errors included).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let api = APIError.from(error)
            if api.status == .internalServerError { context.logger.error("request failed: \(error)") }
            return try api.response(from: request, context: context)
        }
    }
}
