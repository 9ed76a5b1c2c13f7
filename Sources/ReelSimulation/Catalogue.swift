import Foundation
import ReelWorkloads

/// The real catalogue the simulated world is built on: KuaiRand-Pure's 7,583 videos (CC BY-SA 4.0).
public struct Catalogue: Sendable {
    public struct Video: Sendable, Hashable {
        /// KuaiRand's video id.
        public var id: UInt64
        public var creator: UInt64
        public var durationMillis: UInt64
        public var sound: UInt64
        /// Tag ids (0...110).
        public var tags: [Int]
    }

    public var videos: [Video]
    /// Durations missing from the data (0) are replaced by the catalogue's median, 77 s.
    public static let missingDurationMillis: UInt64 = 77_000
    /// Longer videos (42 in the data) are cut to the platform's limit, 10 minutes.
    public static let maxDurationMillis: UInt64 = 600_000
    /// The taste space: tag ids 0...110 (the data uses fewer; see Docs/Decisions/0007-simulated-world.md).
    public static let tagCount = 111

    public init(videos: [Video]) { self.videos = videos }

    /// Reads `video_features_basic_pure.csv` (columns by header name).
    public static func load(kuaiRandCSV path: String) throws -> Catalogue {
        let rows = try CSVTable(path: path)
        let id = try rows.column("video_id"), creator = try rows.column("author_id"), duration = try rows.column("video_duration")
        let music = try rows.column("music_id"), tag = try rows.column("tag")
        var videos: [Video] = []
        for (line, row) in rows.rows {
            guard let v = UInt64(row[id]), let c = UInt64(row[creator]) else { throw CSVError(file: path, line: line, reason: "video_id and author_id must be integers") }
            let millis = Double(row[duration]).map { UInt64(max(0, $0)) } ?? 0
            let tags = row[tag].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { (0..<tagCount).contains($0) }
            videos.append(
                Video(
                    id: v, creator: c, durationMillis: millis == 0 ? missingDurationMillis : min(millis, maxDurationMillis),
                    sound: UInt64(Double(row[music]) ?? 0), tags: tags))
        }
        return Catalogue(videos: videos)
    }

    /// The copy the repository ships (`Data/kuairand-pure/`, with its licence), found from the working
    /// directory or from this source file's package.
    public static func defaultPath() -> String? {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let relative = "Data/kuairand-pure/video_features_basic_pure.csv"
        return [relative, "\(url.path)/\(relative)"].first { FileManager.default.fileExists(atPath: $0) }
    }
}
