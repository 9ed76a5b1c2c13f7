import ReelDomain
import ReelJournal

/// One keyed table of a view: rows in memory, the keys changed since the last checkpoint, and (for time
/// travel) a loader that faults rows in from the checkpoint history on first use.
///
/// The dictionary is only ever looked up, never iterated in a way that reaches persisted or canonical bytes:
/// `sortedKeys` and `takeDirty` sort, so iteration order (which varies between processes) never matters.
public final class KeyedTable<Value: PayloadValue & Equatable> {
    public let name: String
    private(set) var rows: [UInt64: Value] = [:]
    /// The keys changed since the last checkpoint, in the order of the changes and with repeats: an append per
    /// change instead of a set insert (hashing and a probe into a set of up to 10⁵ keys, 5 % of the fold), sorted
    /// and made unique when a checkpoint takes it, or when it outgrows four times the table (bounded between
    /// checkpoints however many changes come).
    private var dirty: [UInt64] = []
    private var compactDirtyAt = KeyedTable.minimumCompaction
    private static var minimumCompaction: Int { 1 << 16 }
    /// False for tables never checkpointed (a fold lane's private catalogue, a store in memory): they keep no
    /// change log.
    var tracksDirty = true
    /// Set in sparse (time-travel) mode: the value of a key at the checkpoint the replay starts from.
    var loader: ((UInt64) -> Value?)?
    private var faulted: Set<UInt64> = []

    init(_ name: String) { self.name = name }

    public var count: Int { rows.count }
    /// The number of changed keys (sorts the change log into unique keys).
    var dirtyCount: Int {
        compactDirty()
        return dirty.count
    }

    /// The change log's length, repeats included (tests check that it stays bounded).
    var changeLogCount: Int { dirty.count }

    @inline(__always)
    private func markChanged(_ key: UInt64) {
        guard tracksDirty else { return }
        dirty.append(key)
        if dirty.count >= compactDirtyAt { compactDirty() }
    }

    private func compactDirty() {
        dirty = KeySort.ascendingUnique(dirty)
        compactDirtyAt = max(Self.minimumCompaction, 4 * max(dirty.count, rows.count))
    }

    public subscript(key: UInt64) -> Value? {
        fault(key)
        return rows[key]
    }

    /// Changes the row (created from `initial` when missing) and marks it dirty.
    @inline(__always)
    func update(_ key: UInt64, initial: @autoclosure () -> Value, _ body: (inout Value) -> Void) {
        fault(key)
        body(&rows[key, default: initial()])
        markChanged(key)
    }

    /// Replaces the row without reading the old one.
    func set(_ key: UInt64, _ value: Value) {
        if loader != nil { faulted.insert(key) }
        rows[key] = value
        markChanged(key)
    }

    func remove(_ key: UInt64) {
        if loader != nil { faulted.insert(key) }
        if rows.removeValue(forKey: key) != nil || loader != nil { markChanged(key) }
    }

    @inline(__always)
    private func fault(_ key: UInt64) {
        guard let loader, !faulted.contains(key) else { return }
        faulted.insert(key)
        if rows[key] == nil, let v = loader(key) { rows[key] = v }
    }

    func load(_ key: UInt64, _ value: Value?) { rows[key] = value }

    /// The keys changed since the last call, ascending, with their values (nil: deleted).
    func takeDirty() -> [(UInt64, Value?)] {
        let keys = KeySort.ascendingUnique(dirty)
        dirty = []
        dirty.reserveCapacity(keys.count)
        compactDirtyAt = max(Self.minimumCompaction, 4 * rows.count)
        return keys.map { ($0, rows[$0]) }
    }

    public var sortedKeys: [UInt64] { KeySort.ascending(Array(rows.keys)) }

    /// Visits every resident row in an unspecified order that differs between processes: only for callers
    /// whose result does not depend on the order (they sort or aggregate afterwards). Cheaper than `sortedKeys`.
    public func forEachUnordered(_ body: (UInt64, Value) -> Void) {
        for (k, v) in rows { body(k, v) }
    }

    /// Canonical bytes: name, count, then every row in key order.
    @_specialize(where Value == CatalogueVideo)
    @_specialize(where Value == CatalogueUser)
    @_specialize(where Value == CatalogueCreator)
    @_specialize(where Value == Label)
    @_specialize(where Value == SessionInfo)
    @_specialize(where Value == VideoCounters)
    @_specialize(where Value == PersonCounters)
    @_specialize(where Value == InterestProfile)
    @_specialize(where Value == SeenVideos)
    @_specialize(where Value == DecayedScore)
    @_specialize(where Value == IDList)
    func writeCanonical(into w: inout ByteWriter) {
        w.writeString(name)
        w.writeVarint(UInt64(rows.count))
        for k in sortedKeys {
            w.writeVarint(k)
            rows[k]!.write(to: &w)
        }
    }
}

/// The type-erased face of a table, for persistence.
protocol AnyKeyedTable: AnyObject {
    var name: String { get }
    var count: Int { get }
    var dirtyCount: Int { get }
    var tracksDirty: Bool { get set }
    /// The rows changed since the last call as history blocks, and their keys (to mark dirty again if the
    /// checkpoint fails). With `complete`, every live row plus the changed keys that were deleted.
    func takeBlocks(complete: Bool) -> (keys: [UInt64], blocks: [(firstKey: UInt64, bytes: [UInt8])])
    /// Applies a history block: its rows replace the resident ones, its deletions remove them.
    func loadBlock(_ block: [UInt8], firstKey: UInt64) throws(JournalError)
    func loadEncoded(_ key: UInt64, _ bytes: [UInt8]) throws(JournalError)
    func setLoader(_ loader: @escaping (UInt64) -> [UInt8]?)
    /// Marks rows dirty again after a checkpoint that took them failed.
    func markDirty(_ keys: [UInt64])
    func writeCanonical(into w: inout ByteWriter)
    func encodedValue(_ key: UInt64) -> [UInt8]?
}

// The table-erased calls (`any AnyKeyedTable`) would otherwise run the unspecialized generic bodies: every row
// copied and every dictionary probe made through value witnesses (checkpoints and canonical digests).
extension KeyedTable: AnyKeyedTable {
    @_specialize(where Value == CatalogueVideo)
    @_specialize(where Value == CatalogueUser)
    @_specialize(where Value == CatalogueCreator)
    @_specialize(where Value == Label)
    @_specialize(where Value == SessionInfo)
    @_specialize(where Value == VideoCounters)
    @_specialize(where Value == PersonCounters)
    @_specialize(where Value == InterestProfile)
    @_specialize(where Value == SeenVideos)
    @_specialize(where Value == DecayedScore)
    @_specialize(where Value == IDList)
    func takeBlocks(complete: Bool) -> (keys: [UInt64], blocks: [(firstKey: UInt64, bytes: [UInt8])]) {
        let changed = takeDirty()
        var builder = HistoryBlock.Builder()
        func append(_ key: UInt64, _ value: Value?) {
            if let value {
                builder.append(key) { value.write(to: &$0) }
            } else {
                builder.append(key, nil)
            }
        }
        if complete {
            // Every live row, and the deletions of this checkpoint (so a merge by retention cannot resurrect
            // a row from an older checkpoint): two ascending lists merged.
            let deleted = changed.lazy.filter { $0.1 == nil }.map(\.0)
            var d = deleted.startIndex
            for key in sortedKeys {
                while d != deleted.endIndex, deleted[d] < key {
                    append(deleted[d], nil)
                    d = deleted.index(after: d)
                }
                append(key, rows[key])
            }
            while d != deleted.endIndex {
                append(deleted[d], nil)
                d = deleted.index(after: d)
            }
        } else {
            for (key, value) in changed { append(key, value) }
        }
        return (changed.map(\.0), builder.finish())
    }

    @_specialize(where Value == CatalogueVideo)
    @_specialize(where Value == CatalogueUser)
    @_specialize(where Value == CatalogueCreator)
    @_specialize(where Value == Label)
    @_specialize(where Value == SessionInfo)
    @_specialize(where Value == VideoCounters)
    @_specialize(where Value == PersonCounters)
    @_specialize(where Value == InterestProfile)
    @_specialize(where Value == SeenVideos)
    @_specialize(where Value == DecayedScore)
    @_specialize(where Value == IDList)
    func loadBlock(_ block: [UInt8], firstKey: UInt64) throws(JournalError) {
        try HistoryBlock.forEach(block, firstKey: firstKey) { (key, raw) throws(JournalError) in
            guard let raw else { return load(key, nil) }
            var r = ByteReader(raw)
            load(key, try Value.read(from: &r))
        }
    }

    func markDirty(_ keys: [UInt64]) { if tracksDirty { dirty += keys } }

    func loadEncoded(_ key: UInt64, _ bytes: [UInt8]) throws(JournalError) { load(key, try Self.decode(bytes)) }

    func setLoader(_ loader: @escaping (UInt64) -> [UInt8]?) {
        self.loader = { key in loader(key).flatMap { try? Self.decode($0) } }
    }

    func encodedValue(_ key: UInt64) -> [UInt8]? { self[key].map(Self.encode) }

    static func encode(_ v: Value) -> [UInt8] {
        var w = ByteWriter(capacity: 32)
        v.write(to: &w)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(JournalError) -> Value {
        try bytes.withBytes { (raw) throws(JournalError) in
            var r = ByteReader(raw)
            return try Value.read(from: &r)
        }
    }
}
