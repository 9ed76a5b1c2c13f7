import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ReelJournal
import ReelWorkloads
import Synchronization

struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Starts `reel serve` on loopback over a 100,000-video catalogue and 200 viewers, then measures feeds (open loop) and engagement posts (closed loop).")
    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Metadata-only videos in the catalogue.") var videos = 100_000
    @Option(help: "Registered viewers.") var viewers = 200
    @Option(help: "Feed requests per second offered in the feed phase.") var feedRate = 500
    @Option(help: "Seconds of each phase.") var seconds = 15
    @Option(help: "Concurrent connections.") var connections = 64
    @Option(help: "Scratch directory (default: a new one under /tmp).") var scratch: String?

    func run() async throws {
        let dir = try makeScratch(scratch)
        defer { if scratch == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let data = "\(dir)/data"
        log("writing a catalogue of \(videos) metadata-only videos")
        var t0 = monotonicSeconds()
        var jc = try JournalConfiguration.sealing(directory: "\(data)/journal", keys: "\(data)/keys.sqlite")
        jc.durability = .noSyncUnsafe
        let journal = try Journal.open(jc)
        try await DomainWorkload(users: 2_000, creators: 2_000, videos: videos).write(to: journal, sessionEvents: 0)
        journal.close()
        let catalogueSeconds = monotonicSeconds() - t0

        let port = Int.random(in: 20_000...40_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: currentExecutable())
        server.arguments = ["serve", "--data-dir", data, "--port", "\(port)", "--log-level", "error"]
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
        let base = "http://127.0.0.1:\(port)"
        t0 = monotonicSeconds()
        while (try? await call(http, .GET, base + "/health"))?.0 != 200 {
            guard server.isRunning else { throw ValidationError("the server exited") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let startSeconds = monotonicSeconds() - t0
        log("server ready in \(String(format: "%.1f", startSeconds)) s; registering \(viewers) viewers")

        t0 = monotonicSeconds()
        let (viewerCount, feedRate, connections, seconds) = (viewers, feedRate, connections, seconds)
        let viewerList = Collector<(token: String, session: UInt64)>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<viewerCount {
                if i >= 8 { try await group.next() }
                group.addTask {
                    let handle = "viewer\(i)"
                    _ = try await call(http, .POST, base + "/api/v1/users", ["handle": handle, "email": "\(handle)@example.org", "display_name": handle, "password": "password-\(i)", "region": ["US", "BR", "IN", "DE"][i % 4]])
                    let (_, login) = try await call(http, .POST, base + "/api/v1/sessions", ["handle": handle, "password": "password-\(i)"])
                    guard let token = login["token"] as? String else { throw ValidationError("login failed: \(login)") }
                    let (_, s) = try await call(http, .POST, base + "/api/v1/feed/sessions", ["region": "US"], token: token)
                    guard let session = (s["session_id"] as? NSNumber)?.uint64Value else { throw ValidationError("no session: \(s)") }
                    viewerList.append((token, session))
                }
            }
            try await group.waitForAll()
        }
        let viewersSeconds = monotonicSeconds() - t0
        let viewersReady = viewerList.values

        // Phase 1: feeds, open loop: requests are due at a fixed rate, and latency counts from when each was
        // due (so a slow server cannot hide its queueing by slowing the client down).
        log("feed phase: \(feedRate) requests/s for \(seconds) s")
        let feedLatencies = Collector<Double>()
        let pageSizes = Collector<Int>()
        let errors = Counter()
        let errorStatuses = Collector<Int>()
        let dropped = Counter()
        let total = feedRate * seconds
        let phaseStart = monotonicSeconds()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    var k = worker
                    while k < total {
                        let due = phaseStart + Double(k) / Double(feedRate)
                        let wait = due - monotonicSeconds()
                        if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
                        // A server far behind the offered rate: what could not even be sent within 5 s of the
                        // phase's end counts as failed, so the benchmark ends.
                        if monotonicSeconds() > phaseStart + Double(seconds) + 5 {
                            errors.add()
                            dropped.add()
                            k += connections
                            continue
                        }
                        let v = viewersReady[k % viewersReady.count]
                        let response = try? await call(http, .GET, base + "/api/v1/feed/foryou?count=10&session_id=\(v.session)", token: v.token)
                        let status = response?.0
                        if status != 200 { errors.add(); errorStatuses.append(status ?? 0) }
                        // A page short of 10 items counts too: an empty feed answered fast is no success.
                        pageSizes.append((response?.1["items"] as? [Any])?.count ?? 0)
                        let latency = (monotonicSeconds() - due) * 1000
                        feedLatencies.append(latency)
                        k += connections
                    }
                }
            }
        }
        let feedSeconds = monotonicSeconds() - phaseStart
        let sizes = pageSizes.values
        let latencies = feedLatencies.values

        // Phase 2: engagement posts, closed loop, as fast as the server acknowledges them durably.
        log("engagement phase: \(connections) clients for \(seconds) s")
        let acked = Counter()
        let engageStart = monotonicSeconds()
        let deadline = engageStart + Double(seconds)
        let videoCount = videos
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    var g = SplitMix64(seed: UInt64(worker + 1))
                    while monotonicSeconds() < deadline {
                        let v = viewersReady[g.below(viewersReady.count)]
                        let video = 1 + g.below(videoCount)
                        let status = (try? await call(
                            http, .POST, base + "/api/v1/video/\(video)/engage", ["session_id": v.session, "watch_time_ms": 3_000, "loops": 1], token: v.token))?.0
                        if status == 204 { acked.add() } else { errors.add(); errorStatuses.append(status ?? 0) }
                    }
                }
            }
        }
        let engageSeconds = monotonicSeconds() - engageStart
        try? await http.shutdown()
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()

        let fields: [(String, String)] = [
            ("videos", "\(videos)"), ("viewers", "\(viewersReady.count)"), ("connections", "\(connections)"),
            ("feedOfferedPerSecond", "\(feedRate)"), ("feedRequests", "\(latencies.count)"),
            ("feedP50Millis", String(format: "%.2f", quantile(latencies, 0.5))), ("feedP99Millis", String(format: "%.2f", quantile(latencies, 0.99))),
            ("feedRequestsPerSecond", String(format: "%.1f", Double(latencies.count) / feedSeconds)),
            ("feedMeanItems", String(format: "%.2f", Double(sizes.reduce(0, +)) / Double(max(1, sizes.count)))),
            ("feedShortPages", "\(sizes.filter { $0 < 10 }.count)"),
            ("engageRequestsPerSecond", String(format: "%.1f", Double(acked.value) / engageSeconds)),
            ("errors", "\(errors.value)"), ("feedDropped", "\(dropped.value)"),
            ("errorStatuses", "{" + Dictionary(grouping: errorStatuses.values, by: { $0 }).sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value.count)" }.joined(separator: ", ") + "}"),
            ("catalogueSeconds", String(format: "%.1f", catalogueSeconds)), ("serverStartSeconds", String(format: "%.1f", startSeconds)),
            ("viewersSeconds", String(format: "%.1f", viewersSeconds)), ("serverExit", "\(server.terminationStatus)"),
        ]
        if json {
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (k, v) in fields { print("\(k): \(v)") }
        }
    }
}

/// One JSON request; returns the status and the decoded object (empty when none).
@Sendable func call(_ http: HTTPClient, _ method: HTTPMethod, _ url: String, _ body: [String: Any]? = nil, token: String? = nil) async throws -> (Int, [String: Any]) {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
    }
    let response = try await http.execute(request, timeout: .seconds(30))
    let bytes = try await response.body.collect(upTo: 8 << 20)
    return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:])
}

final class Collector<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])
    func append(_ x: T) { items.withLock { $0.append(x) } }
    var values: [T] { items.withLock { $0 } }
}

final class Counter: Sendable {
    private let n = Atomic<Int>(0)
    func add() { n.add(1, ordering: .relaxed) }
    var value: Int { n.load(ordering: .relaxed) }
}
