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
        func call(_ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]? = nil, key: String? = nil) async throws -> (Int, [String: Any]) {
            try await callWithHeaders(method, path, body, key: key).0
        }

        func callWithHeaders(_ method: HTTPRequest.Method, _ path: String, _ body: [String: Any]? = nil, key: String? = nil) async throws
            -> ((Int, [String: Any]), HTTPFields)
        {
            let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(10)))
            client.connect()
            defer { Task { try? await client.shutdown() } }
            var headers = HTTPFields()
            if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
            if let token { headers[.authorization] = "Bearer \(token)" }
            var buffer: ByteBuffer?
            if let body {
                headers[.contentType] = "application/json"
                buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
            }
            let r = try await client.execute(.init(path, method: method, headers: headers, body: buffer))
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: r.body ?? ByteBuffer()))) as? [String: Any] ?? [:]
            return ((Int(r.status.code), json), r.headers)
        }
    }

    func start(_ reel: String, _ data: String, port: Int) throws -> Process {
        try startReelServe(dataDir: data, port: port, arguments: ["--demo", "--demo-count", "3"])
    }

    func waitReady(_ http: HTTP) async throws { try await waitHealthy(port: http.port) }

    /// Logs the demo account in and waits for its three clips: (client with token, published videos).
    func demo(_ http: HTTP) async throws -> (HTTP, [UInt64]) {
        var http = http
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
        return (http, videos)
    }

    @Test func killedUnderLoadKeepsEveryAcknowledgedEngagement() async throws {
        let reel = try #require(reelExecutable())
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let port = Int.random(in: 20_000...40_000)
        var server = try start(reel, "\(dir)/data", port: port)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        try await waitReady(HTTP(port: port))
        let (http, videos) = try await demo(HTTP(port: port))
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

extension ServerCrashTests {
    /// Shares (which count every time) posted with an `Idempotency-Key` each, the server SIGKILLed mid-flight
    /// twice; every request left unanswered is retried with its key after the restart. Each key counts once:
    /// nothing acknowledged is lost and no retry duplicates (issue 24, item 15).
    @Test func retriesWithIdempotencyKeysNeitherLoseNorDuplicate() async throws {
        let reel = try #require(reelExecutable())
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let port = Int.random(in: 20_000...40_000)
        var server = try start(reel, "\(dir)/data", port: port)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        try await waitReady(HTTP(port: port))
        let (http, videos) = try await demo(HTTP(port: port))
        let video = videos[0]
        let (_, s) = try await http.call(.post, "/api/v1/feed/sessions", ["region": "US"])
        let session = try #require((s["session_id"] as? NSNumber)?.uint64Value)
        let body: [String: Any] = ["session_id": session, "channel": "link"]
        let keys = KeyLog()
        for cycle in 0..<2 {
            let client = http
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    for c in 0..<6 {
                        group.addTask {
                            var i = 0
                            while !Task.isCancelled {
                                let key = "cycle\(cycle)-client\(c)-\(i)"
                                i += 1
                                keys.sent(key)
                                let share: [String: Any] = ["session_id": session, "channel": "link"]
                                while !Task.isCancelled {
                                    guard let (status, _) = try? await client.call(.post, "/api/v1/video/\(video)/share", share, key: key) else {
                                        return  // unanswered (the server died): retried after the restart
                                    }
                                    if status == 204 {
                                        keys.answered(key)
                                        break
                                    }
                                    // Over the rate limit (429): a client waits and retries with the same key.
                                    keys.refused(status)
                                    try? await Task.sleep(for: .milliseconds(50))
                                }
                            }
                        }
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while keys.answeredCount < 150 * (cycle + 1) {
                try #require(ContinuousClock.now < deadline, "only \(keys.answeredCount) shares answered in a minute; refused: \(keys.refusals)")
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            load.cancel()
            await load.value
            server = try start(reel, "\(dir)/data", port: port)
            try await waitReady(http)
            for key in keys.unanswered {
                let status = try await retried(http, "/api/v1/video/\(video)/share", body, key: key).0
                #expect(status == 204, "retry of \(key): \(status)")
                keys.answered(key)
            }
            // A retry of an acknowledged key is a replay, never a second share.
            let again = try await retried(http, "/api/v1/video/\(video)/share", body, key: "cycle\(cycle)-client0-0").1
            #expect(again[HTTPField.Name("Idempotent-Replayed")!] == "true")
        }
        var shares = -1
        for _ in 0..<100 {
            let (_, v) = try await http.call(.get, "/api/v1/video/\(video)")
            shares = ((v["counters"] as? [String: Any])?["shares"] as? NSNumber)?.intValue ?? -1
            if shares == keys.answeredCount { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(keys.unanswered.isEmpty)
        #expect(shares == keys.answeredCount, "\(keys.answeredCount) keys, each once; \(shares) shares counted")
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
    }
}

extension ServerCrashTests {
    /// What a careful client does with a write that has a key: on a timeout, 429 or 503 (a restarted server
    /// still reading its journal says `catchingUp`), it waits and sends the same request with the same key.
    func retried(_ http: HTTP, _ path: String, _ body: [String: Any], key: String) async throws -> (Int, HTTPFields) {
        let deadline = ContinuousClock.now + .seconds(120)
        var last = "no answer"
        while ContinuousClock.now < deadline {
            do {
                let ((status, json), headers) = try await http.callWithHeaders(.post, path, body, key: key)
                guard [429, 503].contains(status) else { return (status, headers) }
                last = "\(status) \(json)"
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("\(key) not answered in two minutes of retries; last: \(last)")
    }
}

final class KeyLog: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: Set<String> = []
    private var done: Set<String> = []
    func sent(_ k: String) { lock.withLock { _ = pending.insert(k) } }
    func answered(_ k: String) {
        lock.withLock {
            pending.remove(k)
            done.insert(k)
        }
    }
    private var refusedStatuses: [Int: Int] = [:]
    func refused(_ status: Int) { lock.withLock { refusedStatuses[status, default: 0] += 1 } }
    var refusals: [Int: Int] { lock.withLock { refusedStatuses } }
    var answeredCount: Int { lock.withLock { done.count } }
    var unanswered: [String] { lock.withLock { pending.sorted() } }
}

final class Acks: @unchecked Sendable {
    private let lock = NSLock()
    private var byVideo: [UInt64: Int] = [:]
    func add(_ v: UInt64) { lock.withLock { byVideo[v, default: 0] += 1 } }
    var total: Int { lock.withLock { byVideo.values.reduce(0, +) } }
    var counts: [UInt64: Int] { lock.withLock { byVideo } }
}
