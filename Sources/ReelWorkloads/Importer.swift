import Foundation
import Reel

/// `reel import videos|interactions`: CSV rows become commands through the engine's normal path, so imported
/// data is indistinguishable from live data. Re-importing a file adds nothing: videos and users keep their
/// ids and are skipped when present; interactions are grouped into one session per user and UTC day (a fixed
/// id), and a session's rows already in the journal are skipped.
///
/// Ids may be any strings: `ExternalIDs` maps them to the engine's integers, deterministically, and keeps the
/// mapping in the data directory (`import-ids.tsv`); the report says how many were mapped.
public struct Importer {
    public struct Report: Sendable, Hashable {
        public var rows = 0
        public var imported = 0
        /// Rows that were already there.
        public var unchanged = 0
        /// Bad rows skipped with `--skip-bad-rows`.
        public var skipped = 0
        public var firstSkipped: [String] = []
        /// String ids given engine ids by this import, and the file that keeps the mapping.
        public var mappedIDs = 0
        public var idFile = ""
    }

    public let engine: ReelEngine
    public var skipBadRows = false
    public var progress: (String) -> Void = { _ in }

    public init(engine: ReelEngine, skipBadRows: Bool = false) {
        self.engine = engine
        self.skipBadRows = skipBadRows
    }

    // MARK: Videos

    struct VideoRow {
        var line: Int
        var id: UInt64, creator: UInt64, duration: UInt64, tags: [String], sound: UInt64, caption: String, uploadedAt: Timestamp
    }

    /// Columns `video_id, creator_id, duration_ms, tags, sound_id, caption, uploaded_at`; tags separated by
    /// `|`, spaces or commas (inside quotes). Creators are registered when missing.
    public func importVideos(_ path: String) async throws -> Report {
        let table = try CSVTable(path: path)
        let ids = try ExternalIDs(path: idFile)
        let c = (id: try table.column("video_id"), creator: try table.column("creator_id"), duration: try table.column("duration_ms"),
                 tags: try table.column("tags"), sound: try table.column("sound_id"), caption: try table.column("caption"),
                 uploaded: try table.column("uploaded_at"))
        var report = Report()
        var rows: [VideoRow] = []
        for (line, f) in table.rows {
            report.rows += 1
            do {
                rows.append(
                    VideoRow(
                        line: line, id: try Self.id(f[c.id], "video_id", .video, create: true, ids, line, path),
                        creator: try Self.id(f[c.creator], "creator_id", .user, create: true, ids, line, path),
                        duration: try Self.positive(f[c.duration], "duration_ms", line, path),
                        tags: f[c.tags].split(whereSeparator: { $0 == "|" || $0 == " " || $0 == "," }).map(String.init),
                        sound: try Self.sound(f[c.sound], line, path), caption: f[c.caption],
                        uploadedAt: try Self.time(f[c.uploaded], "uploaded_at", line, path)))
            } catch let e as CSVError {
                try skip(e, &report)
            }
        }
        var meter = Meter(total: rows.count, progress: progress)
        var knownCreators = Set<UInt64>()
        for row in rows {
            do {
                if knownCreators.insert(row.creator).inserted { try await engine.importUser(id: row.creator, region: "", at: row.uploadedAt) }
                let wrote = try await engine.importVideo(
                    id: row.id, creator: row.creator, metadata: VideoMetadata(caption: row.caption, hashtags: row.tags, sound: row.sound),
                    durationMillis: row.duration, at: row.uploadedAt)
                if wrote { report.imported += 1 } else { report.unchanged += 1 }
            } catch {
                try skip(CSVError(file: path, line: row.line, reason: error.description), &report)
            }
            meter.tick()
        }
        return try keep(ids, &report)
    }

    /// Where the mapping of string ids lives: beside the journal, private to its owner.
    var idFile: String { (engine.configuration.dataDirectory as NSString).appendingPathComponent("import-ids.tsv") }

    private func keep(_ ids: ExternalIDs, _ report: inout Report) throws -> Report {
        report.mappedIDs = ids.added.count
        report.idFile = idFile
        try ids.save()
        return report
    }

    // MARK: Interactions

    struct InteractionRow {
        var line: Int
        var user: UInt64, video: UInt64, time: Timestamp
        var watchRatio: Double, liked: Bool, shared: Bool, followed: Bool
    }

    /// Columns `user_id, video_id, timestamp` and optional `watch_ratio` (default 1), `liked`, `shared`,
    /// `followed` (0/1, true/false). A ratio below 0.2 is a skip; at 1 or more, completed with
    /// `floor(ratio)` loops. Users are registered when missing; videos must have been imported.
    public func importInteractions(_ path: String) async throws -> Report {
        let table = try CSVTable(path: path)
        let ids = try ExternalIDs(path: idFile)
        let cu = try table.column("user_id"), cv = try table.column("video_id"), ct = try table.column("timestamp")
        let cr = table.optionalColumn("watch_ratio"), cl = table.optionalColumn("liked"), cs = table.optionalColumn("shared"), cf = table.optionalColumn("followed")
        var report = Report()
        var rows: [InteractionRow] = []
        for (line, f) in table.rows {
            report.rows += 1
            do {
                let ratio = try cr.map { f[$0].isEmpty ? 1 : try Self.ratio(f[$0], line, path) } ?? 1
                // The video first: a row that names no imported video maps no new user either.
                let video = try Self.id(f[cv], "video_id", .video, create: false, ids, line, path)
                let time = try Self.time(f[ct], "timestamp", line, path)
                rows.append(
                    InteractionRow(
                        line: line, user: try Self.id(f[cu], "user_id", .user, create: true, ids, line, path), video: video,
                        time: time, watchRatio: ratio,
                        liked: try cl.map { try Self.flag(f[$0], "liked", line, path) } ?? false,
                        shared: try cs.map { try Self.flag(f[$0], "shared", line, path) } ?? false,
                        followed: try cf.map { try Self.flag(f[$0], "followed", line, path) } ?? false))
            } catch let e as CSVError {
                try skip(e, &report)
            }
        }
        // One session per user and UTC day, rows in time order (then file order): the order a re-import sees too.
        var bySession: [UInt64: [InteractionRow]] = [:]
        for r in rows { bySession[Self.sessionID(user: r.user, day: r.time.microseconds / 86_400_000_000), default: []].append(r) }
        var meter = Meter(total: rows.count, progress: progress)
        var knownUsers = Set<UInt64>()
        for session in bySession.keys.sorted() {
            let group = bySession[session]!.sorted { ($0.time.microseconds, $0.line) < ($1.time.microseconds, $1.line) }
            let first = group[0]
            do {
                if knownUsers.insert(first.user).inserted { try await engine.importUser(id: first.user, region: "", at: first.time) }
                try await engine.importSession(id: session, viewer: first.user, context: SessionContext(region: engine.user(first.user)?.region ?? ""), at: first.time)
            } catch {
                for r in group { try skip(CSVError(file: path, line: r.line, reason: error.description), &report) }
                continue
            }
            // Each imported row left exactly one watch or skip: that many rows of this session are in already.
            let done = try engine.events(of: .session, session).filter {
                if case .watched = $0.event { return true }
                if case .skipped = $0.event { return true }
                return false
            }.count
            for (i, r) in group.enumerated() {
                defer { meter.tick() }
                if i < done {
                    report.unchanged += 1
                    continue
                }
                do {
                    try await apply(r, session: session)
                    report.imported += 1
                } catch {
                    try skip(CSVError(file: path, line: r.line, reason: error.description), &report)
                }
            }
        }
        return try keep(ids, &report)
    }

    private func apply(_ r: InteractionRow, session: UInt64) async throws(ReelError) {
        guard let video = engine.video(r.video), video.status == .published else {
            throw ReelError(.notFound, "unknownVideo", "video \(r.video) is not a published video (import the videos first)")
        }
        let d = video.durationMillis
        if r.watchRatio < 0.2 {
            try await engine.engage(session: session, .skip(video: r.video, watchedMillis: UInt64(r.watchRatio * Double(d))), at: r.time)
        } else {
            let loops = r.watchRatio >= 1 ? UInt64(r.watchRatio.rounded(.down)) : 0
            let millis = min(UInt64((r.watchRatio * Double(d)).rounded()), d * (loops + 1))
            try await engine.engage(session: session, .watch(video: r.video, watchMillis: millis, loops: loops, completed: r.watchRatio >= 1), at: r.time)
        }
        if r.liked { try await engine.engage(session: session, .like(video: r.video), at: r.time) }
        if r.shared { try await engine.engage(session: session, .share(video: r.video, channel: "import"), at: r.time) }
        if r.followed, video.creator != r.user { try await engine.follow(user: r.user, creator: video.creator, session: session, at: r.time) }
    }

    /// A fixed session id for a user's day: 2^39 plus 39 bits of FNV-1a over both (a clash is caught: the
    /// session belongs to another viewer).
    public static func sessionID(user: UInt64, day: Int64) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in [user, UInt64(bitPattern: day)] {
            for i in 0..<8 {
                h ^= (v >> (8 * UInt64(i))) & 0xff
                h = h &* 0x0000_0100_0000_01b3
            }
        }
        return (1 << 39) | (h & ((1 << 39) - 1))
    }

    private func skip(_ error: CSVError, _ report: inout Report) throws {
        guard skipBadRows else { throw error }
        report.skipped += 1
        if report.firstSkipped.count < 10 { report.firstSkipped.append(error.description) }
    }

    // MARK: Field parsing

    /// An id as the file names it (any string without control characters, at most 256 bytes), as the engine's.
    /// Videos named by interactions must have been imported (`create` false).
    static func id(
        _ s: String, _ column: String, _ kind: ExternalIDs.Kind, create: Bool, _ ids: ExternalIDs, _ line: Int, _ file: String
    ) throws -> UInt64 {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { throw CSVError(file: file, line: line, reason: "\(column) is empty") }
        guard t.utf8.count <= 256, !t.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CSVError(file: file, line: line, reason: "\(column) \"\(t.prefix(40))\" is longer than 256 bytes or holds a control character")
        }
        if t.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), UInt64(t) == 0 {
            throw CSVError(file: file, line: line, reason: "\(column) 0 is not an id (integer ids start at 1)")
        }
        guard let id = ids.id(t, kind: kind, create: create) else {
            throw CSVError(file: file, line: line, reason: "\(column) \"\(t)\" names no imported \(kind.rawValue) (import the videos first)")
        }
        return id
    }

    /// A sound id; empty or 0 means the video's own audio.
    static func sound(_ s: String, _ line: Int, _ file: String) throws -> UInt64 {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return 0 }
        guard let v = UInt64(t) else { throw CSVError(file: file, line: line, reason: "sound_id \"\(s)\" is not an integer") }
        return v
    }

    static func positive(_ s: String, _ column: String, _ line: Int, _ file: String) throws -> UInt64 {
        guard let v = Double(s.trimmingCharacters(in: .whitespaces)), v >= 1, v < 1e15 else {
            throw CSVError(file: file, line: line, reason: "\(column) \"\(s)\" is not a positive number")
        }
        return UInt64(v)
    }

    static func ratio(_ s: String, _ line: Int, _ file: String) throws -> Double {
        guard let v = Double(s.trimmingCharacters(in: .whitespaces)), v.isFinite, v >= 0, v <= 100 else {
            throw CSVError(file: file, line: line, reason: "watch_ratio \"\(s)\" is not a number in 0...100")
        }
        return v
    }

    static func flag(_ s: String, _ column: String, _ line: Int, _ file: String) throws -> Bool {
        switch s.trimmingCharacters(in: .whitespaces).lowercased() {
        case "", "0", "false", "no": return false
        case "1", "true", "yes": return true
        default: throw CSVError(file: file, line: line, reason: "\(column) \"\(s)\" is not 0/1 or true/false")
        }
    }

    static func time(_ s: String, _ column: String, _ line: Int, _ file: String) throws -> Timestamp {
        guard let t = Timestamp(parsing: s.trimmingCharacters(in: .whitespaces)) else {
            throw CSVError(file: file, line: line, reason: "\(column) \"\(s)\" is neither ISO-8601 nor Unix seconds")
        }
        return t
    }
}

/// Progress on standard error about every two seconds: rows done, of how many, and the rate.
struct Meter {
    let total: Int
    let progress: (String) -> Void
    var done = 0
    let started = Date()
    var last = Date()

    init(total: Int, progress: @escaping (String) -> Void) {
        self.total = total
        self.progress = progress
    }

    mutating func tick() {
        done += 1
        let now = Date()
        guard now.timeIntervalSince(last) >= 2 || done == total else { return }
        last = now
        let rate = Double(done) / max(0.001, now.timeIntervalSince(started))
        progress("\(done)/\(total) rows (\(Int(rate))/s)")
    }
}
