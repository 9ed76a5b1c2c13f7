import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Reel
import Synchronization

/// `Idempotency-Key` on writes (the convention payment APIs use): a client that retries a POST, PUT or DELETE
/// with the same key gets the first attempt's answer, and the write happens once, across crashes too.
///
/// - The key is scoped to the caller (the bearer token's user; sign-up has none) and becomes a command id,
///   recorded in every event the request's commands write (`ReelEngine.withCommandID`). So after a crash,
///   the journal itself says whether the first attempt was carried out: the server's index remembers those
///   ids for 24 hours of journal time, and the answer is rebuilt from the recorded event.
/// - While the process lives, answers (4xx included; not 401, 408, 429 or 5xx, which a retry may outlive) are kept in memory with a fingerprint of the
///   request: a retry gets the same bytes, a second request racing the first waits for it, and reusing a key
///   for a different request is refused (422 `idempotencyKeyReused`).
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = ReelRequestContext
    let api: ReelAPI
    let store = IdempotencyStore()
    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.post, .put, .delete, .patch].contains(request.method), let key = request.headers[Self.header] else {
            return try await next(request, context)
        }
        // Chunk uploads are idempotent by their content hash already, and too large to fingerprint here.
        if request.uri.path.contains("/chunks/") { return try await next(request, context) }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw APIError.badRequest("invalidIdempotencyKey", "an Idempotency-Key is 1–255 visible ASCII characters (a UUID is a good one)")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let caller = (try? api.user(request)) ?? 0
        let id = Self.commandID(caller: caller, key: key)
        let fingerprint = Self.fingerprint(request, body: body)
        while true {
            switch store.begin(id, fingerprint: fingerprint) {
            case .replay(let stored): return stored.response(replayed: true)
            case .reused:
                throw APIError(
                    .unprocessableContent, "idempotencyKeyReused",
                    "this Idempotency-Key was used for a different request; use a new key for a new request")
            case .wait: await store.waitForOutcome(of: id)
            case .proceed:
                return try await execute(id: id, fingerprint: fingerprint, request: request, context: context, next: next)
            }
        }
    }

    private func execute(
        id: UInt64, fingerprint: [UInt8], request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            // Carried out before this process started (the answer was lost with it)? The journal says.
            if let recorded = try await recordedCommand(id) {
                let stored = Self.rebuiltAnswer(recorded.event, engine: api.engine, fingerprint: fingerprint)
                store.finish(id, stored)
                return stored.response(replayed: true)
            }
            let response = try await ReelEngine.withCommandID(id) { try await next(request, context) }
            let stored = try await StoredAnswer(capturing: response, fingerprint: fingerprint)
            store.finish(id, Self.isFinal(stored.status) ? stored : nil)
            return stored.response(replayed: false)
        } catch {
            let e = APIError.from(error)
            store.finish(id, Self.isFinal(e.status) ? StoredAnswer(error: e, fingerprint: fingerprint) : nil)
            throw error
        }
    }

    /// Whether an answer is the request's outcome, to be replayed: not when it was never carried out for a
    /// reason a retry can outlive (a missing or expired token, a rate limit, a server fault or overload).
    static func isFinal(_ status: HTTPResponse.Status) -> Bool {
        status.code < 500 && ![401, 408, 429].contains(status.code)
    }

    /// The command's first event, once the index has received everything acknowledged before this request.
    /// Until it has, the journal cannot say whether a first attempt was carried out, and going ahead could
    /// do the write twice: the request is refused with 503 (not remembered), and the client retries.
    private func recordedCommand(_ id: UInt64) async throws -> ServerIndex.RecordedCommand? {
        guard await api.index.waitUntilDelivered(api.engine.journalEnd, timeout: Self.catchUpWait) else {
            var e = APIError(
                .serviceUnavailable, "catchingUp",
                "the server is still reading its journal, so it cannot yet tell whether this key was carried out; retry with the same key")
            e.headers[.retryAfter] = "1"
            throw e
        }
        return api.index.command(id)
    }
    static let catchUpWait: Duration = .seconds(5)

    /// A documented hash, stable across processes and releases: the first 8 bytes of
    /// SHA-256("reel-idempotency\n<user>\n<key>"), big-endian.
    static func commandID(caller: UInt64, key: String) -> UInt64 {
        let digest = SHA256.hash(data: Data("reel-idempotency\n\(caller)\n\(key)".utf8))
        return digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func fingerprint(_ request: Request, body: ByteBuffer) -> [UInt8] {
        var h = SHA256()
        h.update(data: Data("\(request.method.rawValue) \(request.uri.path)?\(request.uri.query ?? "")\n".utf8))
        h.update(data: Data(body.readableBytesView))
        return Array(h.finalize())
    }

    /// The answer a request would have had, from the first event it recorded: the id it created, or nothing.
    static func rebuiltAnswer(_ event: ReelEvent, engine: ReelEngine, fingerprint: [UInt8]) -> StoredAnswer {
        func json(_ status: HTTPResponse.Status, _ text: String) -> StoredAnswer {
            StoredAnswer(status: status, contentType: "application/json; charset=utf-8", body: Array(text.utf8), fingerprint: fingerprint)
        }
        switch event {
        case .commented(let e): return json(.created, "{\"comment_id\":\(e.comment)}")
        case .sessionStarted(let e): return json(.created, "{\"session_id\":\(e.session)}")
        case .uploadCompleted(let e): return json(.accepted, "{\"status\":\"processing\",\"video_id\":\(e.video)}")
        case .userRegistered(let e, _):
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            guard let user = engine.user(e.user), let data = try? encoder.encode(UserOut(user)) else {
                return json(.gone, "{\"error\":{\"code\":\"gone\",\"message\":\"the user this request registered no longer exists\"}}")
            }
            return json(.created, String(decoding: data, as: UTF8.self))
        case .uploadStarted(let e):
            return json(
                .conflict,
                "{\"error\":{\"code\":\"replayUnavailable\",\"message\":\"the first request with this key started upload of video \(e.video); "
                    + "its chunk URLs are not kept across a restart: start a new upload\"}}")
        default: return StoredAnswer(status: .noContent, contentType: nil, body: [], fingerprint: fingerprint)
        }
    }
}

/// One remembered answer.
struct StoredAnswer: Sendable {
    var status: HTTPResponse.Status
    var contentType: String?
    var body: [UInt8]
    var fingerprint: [UInt8]
    var storedAt = Date()

    init(status: HTTPResponse.Status, contentType: String?, body: [UInt8], fingerprint: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.fingerprint = fingerprint
    }

    init(capturing response: Response, fingerprint: [UInt8]) async throws {
        let collector = BodyCollector()
        try await response.body.write(collector)
        self.init(status: response.status, contentType: response.headers[.contentType], body: collector.bytes, fingerprint: fingerprint)
    }

    init(error: APIError, fingerprint: [UInt8]) {
        let data = (try? JSONSerialization.data(withJSONObject: ["error": ["code": error.code, "message": error.message]], options: [.sortedKeys])) ?? Data()
        self.init(status: error.status, contentType: "application/json; charset=utf-8", body: Array(data), fingerprint: fingerprint)
    }

    func response(replayed: Bool) -> Response {
        var headers = HTTPFields()
        if let contentType { headers[.contentType] = contentType }
        if replayed { headers[IdempotencyMiddleware.replayedHeader] = "true" }
        return Response(status: status, headers: headers, body: body.isEmpty ? .init() : .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Collects a response body (the API's are small JSON documents).
final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    var bytes: [UInt8] = []
    func write(_ buffer: ByteBuffer) async throws { bytes.append(contentsOf: buffer.readableBytesView) }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Answers by command id, and the requests being carried out now.
final class IdempotencyStore: Sendable {
    enum Start {
        case proceed, wait, reused
        case replay(StoredAnswer)
    }
    private struct State {
        var answers: [UInt64: StoredAnswer] = [:]
        var order: [UInt64] = []
        var running: [UInt64: [CheckedContinuation<Void, Never>]] = [:]
    }
    private let state = Mutex(State())
    static let capacity = 100_000
    static let lifetime: TimeInterval = 24 * 3600

    func begin(_ id: UInt64, fingerprint: [UInt8]) -> Start {
        state.withLock { s in
            if let a = s.answers[id], Date().timeIntervalSince(a.storedAt) < Self.lifetime {
                return a.fingerprint == fingerprint ? .replay(a) : .reused
            }
            if s.running[id] != nil { return .wait }
            s.running[id] = []
            return .proceed
        }
    }

    func waitForOutcome(of id: UInt64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let registered = state.withLock { s -> Bool in
                guard s.running[id] != nil else { return false }
                s.running[id]!.append(c)
                return true
            }
            if !registered { c.resume() }
        }
    }

    /// Records the answer (nil: none worth replaying) and wakes the requests that waited for it.
    func finish(_ id: UInt64, _ answer: StoredAnswer?) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if let answer {
                if s.answers.updateValue(answer, forKey: id) == nil { s.order.append(id) }
                if s.order.count > Self.capacity {
                    for old in s.order.prefix(s.order.count / 10) { s.answers[old] = nil }
                    s.order.removeFirst(s.order.count / 10)
                }
            }
            return s.running.removeValue(forKey: id) ?? []
        }
        for w in waiters { w.resume() }
    }
}
