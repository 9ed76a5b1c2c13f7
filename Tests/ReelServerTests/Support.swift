import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Reel
import ReelServer
@_exported import ReelTesting

func temporaryDirectory() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-server-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func cleanup(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

func serverConfiguration(_ dir: String) -> ReelConfiguration {
    var c = ReelConfiguration(dataDirectory: dir)
    c.server.port = 0
    c.server.adminToken = "test-admin-token"
    c.media.uploadChunkBytes = 64 << 10
    c.media.retryBackoffSeconds = 0
    c.views.checkpointIntervalSeconds = 1
    c.server.signUpsPerMinute = 1_000  // tests sign many people up from one address
    return c
}

/// A JSON client over the test framework's client.
struct API {
    let client: any TestClientProtocol
    var token: String?

    struct Reply {
        var status: HTTPResponse.Status
        var json: [String: Any]
        var body: ByteBuffer
        var headers: HTTPFields
        subscript(_ key: String) -> Any? { json[key] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, _ body: [String: Any]? = nil, raw: ByteBuffer? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var buffer = raw
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: buffer)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
        return Reply(status: response.status, json: json, body: response.body, headers: response.headers)
    }

    /// Registers and logs in; returns (user id, a client carrying the token).
    func signUp(_ handle: String, region: String = "US") async throws -> (UInt64, API) {
        let r = try await call(.post, "/api/v1/users", ["handle": handle, "email": "\(handle)@example.org", "display_name": handle, "password": "secret-\(handle)", "region": region])
        guard r.status == .created, let id = (r["id"] as? NSNumber)?.uint64Value else { throw TestFailure("register \(handle): \(r.status) \(r.json)") }
        let login = try await call(.post, "/api/v1/sessions", ["handle": handle, "password": "secret-\(handle)"])
        guard let token = login["token"] as? String else { throw TestFailure("login \(handle): \(login.json)") }
        var signed = self
        signed.token = token
        return (id, signed)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

func uint(_ v: Any?) -> UInt64? { (v as? NSNumber)?.uint64Value }

func sha256Hex(_ d: Data) -> String { SHA256.hash(data: d).map { String(format: "%02x", $0) }.joined() }

/// A 360×640 clip of a lavfi pattern with a tone.
func makeClip(_ path: String, seconds: Int = 4, pattern: String = "testsrc2", tone: Int = 440) throws -> String {
    try makeClip(path, video: "\(pattern)=s=360x640:r=30:d=\(seconds)", audio: "sine=f=\(tone):d=\(seconds)")
}

/// A real `reel serve` on loopback (output discarded), with extra arguments and environment.
func startReelServe(dataDir: String, port: Int, arguments: [String] = [], environment: [String: String] = [:]) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: reelExecutable()!)
    p.arguments = ["serve", "--data-dir", dataDir, "--port", "\(port)", "--log-level", "warning"] + arguments
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    return p
}

/// Waits (up to a minute) until the server on `port` answers `/health` with 200.
func waitHealthy(port: Int) async throws {
    for _ in 0..<600 {
        if let (status, _) = try? await ServerCrashTests.HTTP(port: port).call(.get, "/health"), status == 200 { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestFailure("the server on port \(port) did not become ready")
}
