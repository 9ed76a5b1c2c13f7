import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReelTesting
import Testing

/// A `reel serve` process SIGKILLed under a load of engagement posts restarts with every acknowledged
/// (204) engagement counted.
@Suite(.enabled(if: hasFFmpeg && reelExecutable() != nil, "needs ffmpeg and the reel binary")) struct ServerCrashTests {
    /// One request on a fresh connection (a dead server fails it at once, unlike URLSession on Linux).
    struct HTTP {
        let port: Int
        var token: String?
        func call(_ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]? = nil) async throws -> (Int, [String: Any]) {
            let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(10)))
            client.connect()
            defer { Task { try? await client.shutdown() } }
            var headers = HTTPFields()
            if let token { headers[.authorization] = "Bearer \(token)" }
            var buffer: ByteBuffer?
            if let body {
                headers[.contentType] = "application/json"
                buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
            }
            let r = try await client.execute(.init(path, method: method, headers: headers, body: buffer))
            return (Int(r.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: r.body ?? ByteBuffer()))) as? [String: Any] ?? [:])
        }
    }

    func start(_ reel: String, _ data: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: reel)
        p.arguments = ["serve", "--data-dir", data, "--port", "\(port)", "--demo", "--demo-count", "3", "--log-level", "warning"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func waitReady(_ http: HTTP) async throws {
        for _ in 0..<600 {
            if let (status, _) = try? await http.call(.get, "/health"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("the server did not become ready")
    }

    @Test func killedUnderLoadKeepsEveryAcknowledgedEngagement() async throws {
        let reel = try #require(reelExecutable())
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let port = Int.random(in: 20_000...40_000)
        var http = HTTP(port: port)
        var server = try start(reel, "\(dir)/data", port: port)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        try await waitReady(http)
        var videos: [UInt64] = []
        for _ in 0..<300 where videos.count < 3 {
            // The demo account and clips appear once the seeder and the media pipeline are done.
            if let (_, login) = try? await http.call(.post, "/api/v1/sessions", ["handle": "demo", "password": "demo-password"]), let t = login["token"] as? String {
                http.token = t
                let (_, found) = try await http.call(.get, "/api/v1/search?q=clip&type=video")
                videos = (found["results"] as? [[String: Any]] ?? []).compactMap { ($0["id"] as? NSNumber)?.uint64Value }
                var published: [UInt64] = []
                for v in videos where (try await http.call(.get, "/api/v1/video/\(v)").1["status"] as? String) == "published" { published.append(v) }
                videos = published
            }
            if videos.count < 3 { try await Task.sleep(for: .milliseconds(200)) }
        }
        try #require(videos.count == 3, "three demo clips published")
        let (_, s) = try await http.call(.post, "/api/v1/feed/sessions", ["region": "US"])
        let session = try #require((s["session_id"] as? NSNumber)?.uint64Value)

        // Eight clients post watches as fast as they can; the server is killed mid-flight.
        let acked = Acks()
        let (client, targets) = (http, videos)
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for c in 0..<8 {
                    group.addTask {
                        var i = c
                        while !Task.isCancelled {
                            let video = targets[i % targets.count]
                            i += 1
                            if let (status, _) = try? await client.call(.post, "/api/v1/video/\(video)/engage", ["session_id": session, "watch_time_ms": 1000, "loops": 1]), status == 204 {
                                acked.add(video)
                            }
                        }
                    }
                }
            }
        }
        while acked.total < 300 { try await Task.sleep(for: .milliseconds(20)) }
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        try await Task.sleep(for: .milliseconds(200))
        let counts = acked.counts
        load.cancel()
        await load.value

        server = try start(reel, "\(dir)/data", port: port)
        try await waitReady(http)
        for (video, n) in counts {
            let (_, v) = try await http.call(.get, "/api/v1/video/\(video)")
            let plays = ((v["counters"] as? [String: Any])?["plays"] as? NSNumber)?.intValue ?? -1
            #expect(plays >= n, "video \(video): \(n) watches acknowledged, \(plays) counted after the restart")
        }
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        #expect(server.terminationStatus == 0, "SIGTERM: a clean shutdown")
    }
}

final class Acks: @unchecked Sendable {
    private let lock = NSLock()
    private var byVideo: [UInt64: Int] = [:]
    func add(_ v: UInt64) { lock.withLock { byVideo[v, default: 0] += 1 } }
    var total: Int { lock.withLock { byVideo.values.reduce(0, +) } }
    var counts: [UInt64: Int] { lock.withLock { byVideo } }
}
