import Foundation

/// The ids of imported data as their source names them (any string: `u123`, a UUID, an IMDb id), mapped to
/// the engine's integer ids and kept in the data directory (`import-ids.tsv`), so importing again, or another
/// file naming the same ids, gives the same entities.
///
/// The rule, documented for anyone reading the journal beside the source:
/// - a decimal integer in 1..<2^39 (leading zeros allowed) is its own id, as before string ids;
/// - any other string gets `2^39 | (FNV-1a-64("kind:string") mod 2^39)`; should that collide with another
///   string's id of the same kind, `"kind:string#1"`, `#2`, … are tried in turn (the mapping file records which
///   one won, so a collision is resolved once and never moves).
///
/// Users and creators share one kind (a creator is a user); videos have their own.
public final class ExternalIDs {
    public enum Kind: String, Sendable, CaseIterable {
        case user, video
    }

    public static let hashedBase: UInt64 = 1 << 39
    public let path: String?
    private var forward: [Kind: [String: UInt64]] = [:]
    private var backward: [Kind: [UInt64: String]] = [:]
    /// Mappings made since the file was read (the ones `save` appends).
    public private(set) var added: [(kind: Kind, external: String, id: UInt64)] = []

    /// Reads the mapping at `path` (nil: in memory, nothing kept).
    public init(path: String?) throws {
        self.path = path
        guard let path, FileManager.default.fileExists(atPath: path) else { return }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let kind = Kind(rawValue: String(fields[0])), let id = UInt64(fields[1]) else {
                throw CSVError(file: path, line: n + 1, reason: "not a line of kind<TAB>id<TAB>external id")
            }
            forward[kind, default: [:]][String(fields[2])] = id
            backward[kind, default: [:]][id] = String(fields[2])
        }
    }

    public var count: Int { forward.values.reduce(0) { $0 + $1.count } }

    /// The external id a mapped id came from (nil for integer ids, which are their own).
    public func external(_ id: UInt64, kind: Kind) -> String? { backward[kind]?[id] }

    /// The id for `external`, assigned now if `create` and it is new; nil when it is new and not `create`.
    public func id(_ external: String, kind: Kind, create: Bool) -> UInt64? {
        if let n = Self.integer(external) { return n }
        if let known = forward[kind]?[external] { return known }
        guard create else { return nil }
        var attempt = 0
        while true {
            let id = Self.hashed(kind.rawValue + ":" + external + (attempt == 0 ? "" : "#\(attempt)"))
            if backward[kind]?[id] == nil {
                forward[kind, default: [:]][external] = id
                backward[kind, default: [:]][id] = external
                added.append((kind, external, id))
                return id
            }
            attempt += 1
        }
    }

    /// Appends the new mappings to the file (private to its owner: ids can name people) and syncs it.
    public func save() throws {
        guard let path, !added.isEmpty else { return }
        var text = ""
        for a in added where !a.external.contains("\t") && !a.external.contains("\n") { text += "\(a.kind.rawValue)\t\(a.id)\t\(a.external)\n" }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CSVError(file: path, line: 0, reason: "cannot create the id mapping file")
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.synchronize()
        added = []
    }

    /// A decimal integer in 1..<2^39, or nil.
    static func integer(_ s: String) -> UInt64? {
        guard !s.isEmpty, s.utf8.count <= 20, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let v = UInt64(s), v > 0, v < hashedBase else {
            return nil
        }
        return v
    }

    static func hashed(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return hashedBase | (h & (hashedBase - 1))
    }
}
