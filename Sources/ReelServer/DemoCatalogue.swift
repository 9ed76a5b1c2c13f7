import Foundation
import Logging
import Reel
import ReelMedia

/// The demo catalogue `make run` starts with: a few dozen short clips generated with ffmpeg's lavfi sources
/// (distinct patterns, colours and tones), uploaded by creators and tagged with hashtags drawn from the
/// KuaiRand sample (`Data/kuairand-pure/`), and processed through the real media pipeline. Clips that share a
/// tone share a sound, so sound matching shows in "videos with this sound" and trending sounds.
public enum DemoCatalogue {
    /// lavfi video sources, each distinct on screen.
    static let patterns = [
        "testsrc2", "smptebars", "rgbtestsrc", "mandelbrot", "cellauto=rule=110", "life=ratio=0.1:mold=10",
        "color=c=tomato", "color=c=seagreen",
        "color=c=royalblue", "color=c=gold", "yuvtestsrc", "pal75bars",
    ]
    static let tones = [262, 330, 392, 440, 523, 587, 659, 784]
    static let words = ["cats", "dance", "cooking", "travel", "football", "music", "comedy", "diy", "art", "fitness"]

    public struct Row: Sendable {
        public var author: String
        public var tag: String
        public var music: String
    }

    /// Rows of the KuaiRand sample (author, tag, music), or invented ones when the file is missing.
    public static func rows(from csv: String?, count: Int) -> [Row] {
        var out: [Row] = []
        if let csv, let text = try? String(contentsOfFile: csv, encoding: .utf8) {
            let lines = text.split(separator: "\n").dropFirst()
            let header = text.split(separator: "\n").first?.split(separator: ",").map(String.init) ?? []
            if let a = header.firstIndex(of: "author_id"), let t = header.firstIndex(of: "tag"),
                let m = header.firstIndex(of: "music_id")
            {
                for line in lines.prefix(count * 50) where out.count < count {
                    let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    guard f.count > max(a, t, m), !f[t].isEmpty else { continue }
                    out.append(Row(author: f[a], tag: f[t], music: f[m]))
                }
            }
        }
        while out.count < count {
            out.append(Row(author: "\(1000 + out.count % 6)", tag: "\(out.count % 9)", music: "\(out.count % 5)"))
        }
        // A handful of creators with several clips each, so following one changes the Following feed.
        var authors: [String] = []
        for r in out where !authors.contains(r.author) && authors.count < 8 { authors.append(r.author) }
        return out.enumerated().map { i, r in Row(author: authors[i % authors.count], tag: r.tag, music: r.music) }
    }

    /// Generates `count` clips into `directory` and uploads them (the media service processes them in the
    /// background). Also registers the `demo` account (password `demo-password`). Returns the video ids.
    @discardableResult
    public static func seed(server: ReelServer, count: Int = 30, csv: String?, directory: String, logger: Logger)
        async throws -> [UInt64]
    {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let engine = server.engine
        // The account first: someone who opens the page while the clips are made can already log in.
        if try !server.api.accounts.handleTaken("demo") {
            _ = try await SignUp.register(
                engine: engine, accounts: server.api.accounts, handle: "demo", region: "US", email: "demo@example.org",
                displayName: "Demo Viewer", password: "demo-password")
        }
        var creators: [String: UInt64] = [:]
        var videos: [UInt64] = []
        for (i, row) in rows(from: csv, count: count).enumerated() {
            let clip = "\(directory)/clip\(i).mp4"
            let pattern = patterns[i % patterns.count]
            let tone = tones[(i * 3) % tones.count]
            let seconds = 5 + i % 4
            try run(
                "ffmpeg",
                [
                    "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-t", "\(seconds)", "-i",
                    pattern + (pattern.contains("=") ? ":" : "=") + "s=360x640:r=30",
                    "-f", "lavfi", "-t", "\(seconds)", "-i", "sine=f=\(tone)", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip,
                ])
            let creator: UInt64
            if let known = creators[row.author] {
                creator = known
            } else {
                // Every handle has an account, so nobody can register "creatorN" again.
                creator = try await SignUp.register(
                    engine: engine, accounts: server.api.accounts, handle: "creator\(row.author)",
                    region: ["US", "BR", "DE", "IN"][creators.count % 4], email: "creator\(row.author)@example.org",
                    displayName: "Creator \(row.author)", password: UUID().uuidString)
                creators[row.author] = creator
            }
            let topic = words[i % words.count]
            let metadata = VideoMetadata(
                caption: "\(topic) clip \(i + 1): \(pattern.split(separator: "=").first!) at \(tone) Hz",
                hashtags: [topic, "tag\(row.tag)"])
            videos.append(try await server.media.ingest(file: clip, creator: creator, metadata: metadata))
            try? FileManager.default.removeItem(atPath: clip)
        }
        logger.info(
            "demo catalogue: \(videos.count) clips uploaded by \(creators.count) creators; processing in the background"
        )
        return videos
    }

    static func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw APIError(.internalServerError, "demoFailed", "\(tool) \(args.joined(separator: " ")) failed")
        }
    }
}
