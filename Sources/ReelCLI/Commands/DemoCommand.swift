import ArgumentParser
import Foundation
import Reel

/// What `make run` starts until the HTTP server exists: an engine on the data directory, demo content through
/// the public API on first start, then a session that watches, likes and asks for feeds, and an audit of it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the engine on the data directory with demo content, a viewing session and an audit.")
    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "A JSON configuration file (REEL_* environment variables override it).") var config: String?

    func run() async throws {
        var configuration = try await ReelConfiguration.load(file: config)
        configuration.dataDirectory = data.dataDir
        let engine = try ReelEngine(configuration: configuration)
        let running = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(10)) }
        if engine.status.journalPosition == 0 { try await seed(engine) }
        let viewer = try await engine.registerUser(handle: "viewer\(Int.random(in: 1000...9999))", region: "BR", email: "v@example.org", displayName: "Demo Viewer")
        let session = try await engine.startSession(viewer: viewer, context: SessionContext(region: "BR", device: "phone", network: "wifi"))
        print("viewer \(viewer), session \(session)")
        for page in 1...3 {
            let feed = try await engine.feed(session: session, count: 5)
            print("feed page \(page) (views at \(feed.viewsPosition)):")
            for item in feed.items {
                print("  \(item.video.id)  \(item.source) \(String(format: "%.2f", item.score))  \(item.video.caption)  plays \(item.video.counters.plays)")
            }
            // Watch the first two to the end and like the first; swipe the rest early.
            for (i, item) in feed.items.enumerated() {
                if i < 2 {
                    _ = try await engine.engage(session: session, .watch(video: item.video.id, watchMillis: item.video.durationMillis, completed: true))
                    if i == 0 { _ = try await engine.engage(session: session, .like(video: item.video.id)) }
                } else {
                    _ = try await engine.engage(session: session, .skip(video: item.video.id, watchedMillis: 800))
                }
            }
        }
        print("search \"cat\": \(try engine.search("cat", kind: "video", limit: 5).map { "\($0.id) \($0.title)" })")
        let audit = try engine.audit(.session, session)
        print("session at position \(audit.position), version \(audit.version)")
        await engine.shutdown()
        try await running.value
        print("stopped cleanly. Next: reel audit entity session:\(session) --data-dir \(data.dataDir) | reel backup /tmp/reel-backup --data-dir \(data.dataDir)")
    }

    /// Two creators in two regions, a dozen published videos with captions and hashtags, and a little
    /// engagement so that trending has something to say.
    private func seed(_ engine: ReelEngine) async throws {
        let topics: [(String, [String])] = [
            ("cat does a backflip", ["cats", "funny"]), ("sunset over Rio", ["travel", "brazil"]), ("one-pan pasta", ["food", "recipe"]),
            ("street football skills", ["football", "skills"]), ("tiny kitchen tour", ["home", "food"]), ("cat vs cucumber", ["cats"]),
            ("samba basics", ["dance", "brazil"]), ("desk setup 2026", ["tech", "home"]), ("rainy Tokyo walk", ["travel", "japan"]),
            ("latte art fail", ["coffee", "funny"]), ("drum fill of the day", ["music"]), ("goal of the week", ["football"]),
        ]
        var creators: [UInt64] = []
        for (i, region) in ["BR", "JP"].enumerated() {
            let c = try await engine.registerUser(handle: "creator\(i + 1)", region: region, email: "c\(i + 1)@example.org", displayName: "Creator \(i + 1)")
            _ = try await engine.updateCreatorProfile(creator: c, name: "Creator \(i + 1)", bio: "demo creator from \(region)")
            creators.append(c)
        }
        var videos: [UInt64] = []
        for (i, (caption, tags)) in topics.enumerated() {
            let v = try await engine.addPublishedVideo(
                creator: creators[i % 2], metadata: VideoMetadata(caption: caption, hashtags: tags, sound: UInt64(100 + i % 4)),
                durationMillis: UInt64(8_000 + 1_000 * i))
            videos.append(v)
        }
        let fan = try await engine.registerUser(handle: "fan1", region: "BR", email: "fan@example.org", displayName: "Fan")
        let s = try await engine.startSession(viewer: fan, context: SessionContext(region: "BR"))
        for (i, v) in videos.enumerated() where i % 3 == 0 {
            _ = try await engine.engage(session: s, .watch(video: v, watchMillis: 8_000, completed: true))
        }
        _ = try await engine.endSession(s)
        print("seeded \(creators.count) creators, \(videos.count) videos and a session")
    }
}
