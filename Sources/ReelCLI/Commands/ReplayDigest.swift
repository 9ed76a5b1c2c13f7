import Crypto
import ReelDomain
import ReelJournal

/// The state rebuilt by replaying the journal to a position, reduced to a digest two builds can compare:
/// SHA-256 over every event's canonical JSON (after upcasting), plus counts per type and stream.
struct ReplayDigest {
    var position: UInt64 = 0
    var events: UInt64 = 0
    var streams = 0
    var types: [String: UInt64] = [:]
    var digest = ""

    static func compute(_ journal: Journal, to end: UInt64) throws -> ReplayDigest {
        var hasher = SHA256()
        var d = ReplayDigest()
        var streams: Set<StreamID> = []
        var cursor = journal.events(from: 0, to: end)
        while let e = try cursor.next() {
            var line = try EventCatalog.json(e).rendered
            line += "\n"
            hasher.update(data: Array(line.utf8))
            d.events += 1
            d.types[e.type, default: 0] += 1
            streams.insert(e.stream)
        }
        d.position = end
        d.streams = streams.count
        d.digest = Array(hasher.finalize()).hexString
        return d
    }

    var json: JSONValue {
        .object([
            ("position", .uint(position)), ("events", .uint(events)), ("streams", .int(Int64(streams))),
            ("types", .object(types.keys.sorted().map { ($0, .uint(types[$0]!)) })), ("digest", .string(digest)),
        ])
    }
}
