import ArgumentParser
import Foundation
import Reel
import ReelDomain
import ReelJournal
import ReelRecommend
import ReelRuntime
import ReelViews

/// Time-travel audits: an entity or a view row at a moment, the changes between two moments, and the digest
/// of every view rebuilt from zero (to compare processes and machines).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "What the system knew at a moment: entities, views, changes.",
        subcommands: [Entity.self, View.self, Diff.self, Why.self, Rebuild.self])

    /// `--at` as a journal position: the last event recorded at or before a time, or `#123` for a position.
    static func position(_ text: String?, journal: Journal) throws -> UInt64? {
        guard let text else { return journal.nextPosition == 0 ? nil : journal.nextPosition - 1 }
        if text.hasPrefix("#") {
            guard let p = UInt64(text.dropFirst()) else { throw ValidationError("'\(text)': a position is # followed by a number") }
            return p
        }
        return journal.lastPosition(atOrBefore: try parseTime(text, option: "--at"))
    }

    /// `user:7`, `session:3`, `video:12`, `creator:5` or `kind:id` numerically.
    static func stream(_ text: String) throws -> StreamID {
        let names: [String: UInt16] = ["user": StreamKind.user, "session": StreamKind.session, "video": StreamKind.video, "creator": StreamKind.creator]
        let parts = text.split(separator: ":")
        guard parts.count == 2, let id = UInt64(parts[1]), let kind = names[String(parts[0])] ?? UInt16(parts[0]) else {
            throw ValidationError("'\(text)' is not a stream: use user:ID, session:ID, video:ID or creator:ID")
        }
        return StreamID(kind: kind, id: id)
    }

    struct Entity: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An entity's state at a moment, as JSON.")
        @OptionGroup var data: DataDirectoryOptions
        @Argument(help: "The entity: user:ID, session:ID, video:ID or creator:ID.") var stream: String
        @Option(help: "The moment: ISO-8601, Unix seconds, or #position (default: now).") var at: String?

        func run() throws {
            let j = try data.openForReading()
            let s = try AuditCommand.stream(stream)
            let snapshots = try data.openSnapshots()
            guard let p = try AuditCommand.position(at, journal: j) else {
                print(JSONValue.object([("stream", .string(stream)), ("exists", .bool(false))]).rendered)
                return
            }
            func render<E: EventSourcedEntity>(_: E.Type) throws -> JSONValue {
                let (state, version) = try EntityTimeTravel<E>(journal: j, snapshots: snapshots, upcast: EventCatalog.upcast).state(of: s.id, atPosition: p)
                return .object([("stream", .string(stream)), ("position", .uint(p)), ("version", .uint(version)), ("state", .reflecting(state))])
            }
            print(try DomainEntities.dispatch(kind: s.kind, render: { try render($0) }).rendered)
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Which events changed an entity between two moments, with the state after each.")
        @OptionGroup var data: DataDirectoryOptions
        @Argument(help: "The entity: user:ID, session:ID, video:ID or creator:ID.") var stream: String
        @Option(help: "From this moment (exclusive; default: the beginning).") var from: String?
        @Option(help: "To this moment (inclusive; default: now).") var to: String?

        func run() throws {
            let j = try data.openForReading()
            let s = try AuditCommand.stream(stream)
            let snapshots = try data.openSnapshots()
            let fromPosition = try from.flatMap { try AuditCommand.position($0, journal: j) }
            guard let toPosition = try AuditCommand.position(to, journal: j) else { return }
            func render<E: EventSourcedEntity>(_: E.Type) throws -> JSONValue {
                let changes = try EntityTimeTravel<E>(journal: j, snapshots: snapshots, upcast: EventCatalog.upcast)
                    .changes(of: s.id, fromPosition: fromPosition, toPosition: toPosition)
                return .array(try changes.map { c in
                    .object([("event", try EventCatalog.json(c.event)), ("changed", Self.changed(.reflecting(c.before), .reflecting(c.after)))])
                })
            }
            for line in try DomainEntities.dispatch(kind: s.kind, render: { try render($0) }).arrayItems { print(line.rendered) }
        }

        /// The fields whose value differs, with the new value.
        static func changed(_ before: JSONValue, _ after: JSONValue) -> JSONValue {
            guard case .object(let b) = before, case .object(let a) = after else { return after }
            let old = Dictionary(b, uniquingKeysWith: { x, _ in x })
            return .object(a.filter { k, v in old[k].map { $0 != v } ?? true })
        }
    }

    struct View: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One view row at a moment, e.g. `counters.video 42`, `interest.longTerm 7`, `social.followers 3`.")
        @OptionGroup var data: DataDirectoryOptions
        @Argument(help: "The view table (\(ViewStore.tableNames.joined(separator: ", "))).") var table: String
        @Argument(help: "The key: a video, user, creator or session id (trending.video: REGION:VIDEO).") var key: String
        @Option(help: "The moment: ISO-8601, Unix seconds, or #position (default: now).") var at: String?

        func run() throws {
            let j = try data.openForReading()
            let k: UInt64
            let parts = key.split(separator: ":")
            if parts.count == 2, let id = UInt64(parts[1]) {
                k = ViewKey.regional(ViewKey.region(String(parts[0])), id)
            } else if let id = UInt64(key) {
                k = id
            } else {
                throw ValidationError("'\(key)' is not a key: use a number (or REGION:VIDEO for trending.video)")
            }
            guard let p = try AuditCommand.position(at, journal: j) else {
                print("null")
                return
            }
            let value = try ViewTimeTravel(journal: j, storePath: data.viewStorePath).value(table: table, key: k, atPosition: p)
            print(JSONValue.object([("table", .string(table)), ("key", .uint(k)), ("position", .uint(p)), ("value", value ?? .null)]).rendered)
        }
    }

    struct Why: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Why a video was shown to a user: every page that contained it, with what chose it; --verify chooses each page again by replaying to the positions it recorded.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "The viewer's user id.") var user: UInt64
        @Option(help: "The video id.") var video: UInt64
        @Option(help: "Only pages served at or before this moment (default: now).") var at: String?
        @Flag(help: "Recompute each page from the journal and say whether it matches.") var verify = false

        func run() throws {
            let j = try data.openForReading()
            guard let p = try AuditCommand.position(at, journal: j) else {
                print("[]")
                return
            }
            let audit = FeedAudit(journal: j, snapshots: try data.openSnapshots())
            var pages: [JSONValue] = []
            for shown in try audit.why(user: user, video: video, upTo: p) {
                var fields: [(String, JSONValue)] = [
                    ("position", .uint(shown.position)), ("session", .uint(shown.feed.session)), ("servedAt", .string("\(shown.feed.occurredAt)")),
                    ("place", .int(Int64(shown.place))), ("source", .string(shown.item.source)), ("score", .double(Double(shown.item.score))),
                    ("features", .object(shown.item.features.map { ($0.name, .double(Double($0.value))) })),
                    ("viewsPosition", .uint(shown.feed.viewsPosition)), ("modelVersion", .uint(shown.feed.modelVersion)),
                    ("seed", .uint(shown.feed.seed)), ("build", .string(shown.feed.build)),
                ]
                if verify {
                    let v = try audit.verify(shown, settings: ReelEngine.defaultPipelineSettings)
                    fields.append(("verified", .bool(v.matches)))
                    if !v.matches { fields.append(("recomputed", .array(v.recomputed.map { .object([("video", .uint($0.video)), ("source", .string($0.source))]) }))) }
                }
                pages.append(.object(fields))
            }
            print(JSONValue.array(pages).rendered)
        }
    }

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild every view (or, with --model, the recommender's model and index) from position zero in memory and print the canonical state's SHA-256.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Rebuild to this moment (default: now).") var at: String?
        @Flag(help: "Rebuild the recommender model instead of the views.") var model = false

        func run() throws {
            let j = try data.openForReading()
            let p = try AuditCommand.position(at, journal: j)
            let started = Date()
            if model {
                var policy = ProjectionRunner<RecommenderStore>.Policy()
                policy.decryptPersonal = false
                let residentBefore = residentBytes()
                let runner = ProjectionRunner(journal: j, projection: RecommenderStore(path: nil), policy: policy)
                try runner.catchUp(to: p.map { $0 + 1 } ?? 0)
                let seconds = Date().timeIntervalSince(started)
                let (position, digest, videos, viewers) = runner.read { ($0.nextPosition, $0.digest(), $0.model.videos.count, $0.model.users.count) }
                // What the model holds, as the process's growth while folding it (journal reads included).
                print(
                    JSONValue.object([
                        ("position", .uint(position)), ("digest", .string(digest)), ("seconds", .double(seconds)),
                        ("videos", .int(Int64(videos))), ("viewers", .int(Int64(viewers))),
                        ("residentGrowthBytes", .int(Int64(residentBytes() - residentBefore))),
                    ]).rendered)
                return
            }
            let store = try ViewTimeTravel(journal: j, storePath: nil).rebuild(toPosition: p ?? 0)
            if p == nil { try store.apply([]) }
            print(
                JSONValue.object([
                    ("position", .uint(store.nextPosition)), ("digest", .string(try store.digest())),
                    ("seconds", .double(Date().timeIntervalSince(started))),
                ]).rendered)
        }
    }
}

extension JSONValue {
    var arrayItems: [JSONValue] {
        if case .array(let a) = self { return a }
        return [self]
    }
}
