import Crypto
import Foundation
import GRDB
import ReelJournal

/// Consistent copies of a data directory, taken while an engine runs, and their checked restoration.
///
/// Order is what makes a copy consistent without stopping writers: the views and snapshots (SQLite online
/// backups) are copied first, then the journal up to its committed end, then the key store. So every view
/// checkpoint and snapshot refers to events the copied journal holds, and every event's personal-data key
/// is in the copied key store. The recommender's checkpoint is copied before the journal too; other SQLite
/// stores in the directory (the server's accounts) are copied as well. Uploads in progress are not. A
/// `MANIFEST.json` with each file's SHA-256 is written last: a backup without one is incomplete.
public enum Backup {
    public struct Manifest: Codable, Sendable, Hashable {
        public struct File: Codable, Sendable, Hashable {
            public var path: String
            public var bytes: Int
            public var sha256: String
        }
        public var format = 1
        /// The copied journal holds every event before this position.
        public var journalNextPosition: UInt64
        /// The hash of the copied journal's newest batch.
        public var journalHeadHash: String
        public var createdAt: String
        public var files: [File]
    }

    static let manifestName = "MANIFEST.json"

    /// Writes a backup of `dataDirectory` into `destination` (created; must be empty). Works whether or not an
    /// engine holds the directory: nothing in it is modified.
    public static func create(dataDirectory: String, destination: String) throws(ReelError) -> Manifest {
        let source = ReelEngine.Layout(dataDirectory)
        let target = ReelEngine.Layout(destination)
        let fm = FileManager.default
        guard fm.fileExists(atPath: source.journal) else { throw .notFound("noJournal", "no data directory with a journal at \(dataDirectory)") }
        if let existing = try? fm.contentsOfDirectory(atPath: destination), !existing.isEmpty {
            throw .invalid("notEmpty", "the backup destination \(destination) is not empty")
        }
        do {
            try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
            for (from, to) in [(source.views, target.views), (source.snapshots, target.snapshots)] where fm.fileExists(atPath: from) {
                try copySQLite(from: from, to: to)
            }
            // The recommender's checkpoint is replaced by rename, so a plain copy is one whole checkpoint; taken
            // before the journal, its position is one the copy holds (a restore then only catches it up).
            if fm.fileExists(atPath: source.recommender) { try fm.copyItem(atPath: source.recommender, toPath: target.recommender) }
            // Stores beside the engine's (the server's accounts and log-in tokens): not derived from the journal,
            // so a restore without them would lose every password. Any other top-level SQLite file is copied.
            let engineFiles: Set<String> = ["views.sqlite", "snapshots.sqlite", "keys.sqlite"]
            for name in try fm.contentsOfDirectory(atPath: dataDirectory).sorted()
            where name.hasSuffix(".sqlite") && !engineFiles.contains(name) {
                try copySQLite(from: "\(dataDirectory)/\(name)", to: "\(destination)/\(name)")
            }
            var config = JournalConfiguration(directory: source.journal)
            config.readOnly = true
            let journal = try Journal.open(config)
            let copy = try journal.copyCommitted(to: target.journal)
            journal.close()
            if fm.fileExists(atPath: source.keys) { try copySQLite(from: source.keys, to: target.keys) }
            if fm.fileExists(atPath: source.blobs) { try copyTree(from: source.blobs, to: target.blobs) }
            let manifest = Manifest(
                journalNextPosition: copy.nextPosition, journalHeadHash: copy.headHash.map { String(format: "%02x", $0) }.joined(),
                createdAt: ISO8601DateFormatter().string(from: Date()), files: try files(in: destination))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(manifest).write(to: URL(fileURLWithPath: "\(destination)/\(manifestName)"), options: .atomic)
            return manifest
        } catch {
            throw ReelError.from(error)
        }
    }

    /// Checks a backup: the manifest is there, every file has the hash it lists (blobs also match their
    /// content-addressed names), the journal's hash chain verifies up to the recorded head, and the views
    /// are not ahead of the journal.
    public static func verify(_ backup: String) throws(ReelError) -> Manifest {
        let layout = ReelEngine.Layout(backup)
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: "\(backup)/\(manifestName)")))
        } catch {
            throw .invalid("incompleteBackup", "\(backup) has no readable \(manifestName): it is not a backup, or an incomplete one (\(error))")
        }
        for f in manifest.files {
            let path = "\(backup)/\(f.path)"
            guard let hash = try? sha256(of: path) else { throw .invalid("missingFile", "backup file \(f.path) is missing or unreadable") }
            guard hash == f.sha256 else { throw .invalid("damagedFile", "backup file \(f.path) does not have the SHA-256 its manifest lists") }
            let name = (f.path as NSString).lastPathComponent
            if f.path.hasPrefix("blobs/"), name.count == 64, name.allSatisfy(\.isHexDigit), name != hash {
                throw .invalid("damagedBlob", "blob \(f.path) does not hash to its name")
            }
        }
        do {
            var config = JournalConfiguration(directory: layout.journal)
            config.readOnly = true
            let journal = try Journal.open(config)
            defer { journal.close() }
            let report = journal.verify()
            guard report.ok else {
                throw ReelError(.invalid, "damagedJournal", "the backup's journal does not verify: \(report.problems.map(\.description).joined(separator: "; "))")
            }
            let head = report.headHash.map { String(format: "%02x", $0) }.joined()
            guard report.events == manifest.journalNextPosition, head == manifest.journalHeadHash else {
                throw ReelError(.invalid, "damagedJournal", "the backup's journal ends at \(report.events) with head \(head), the manifest says \(manifest.journalNextPosition) and \(manifest.journalHeadHash)")
            }
            if FileManager.default.fileExists(atPath: layout.views) {
                let db = try DatabaseQueue(path: layout.views, configuration: readOnly)
                let p = try db.read { try Int64.fetchOne($0, sql: "SELECT value FROM meta WHERE name = 'nextPosition'") } ?? 0
                guard UInt64(p) <= manifest.journalNextPosition else {
                    throw ReelError(.invalid, "inconsistentBackup", "the backup's views are at \(p), beyond its journal (\(manifest.journalNextPosition))")
                }
            }
        } catch {
            throw ReelError.from(error)
        }
        return manifest
    }

    /// Verifies `backup`, then copies it into `dataDirectory`, which must hold no journal and must not be in
    /// use. The engine opened on it afterwards catches the views up from their checkpoint.
    public static func restore(_ backup: String, into dataDirectory: String) throws(ReelError) -> Manifest {
        let manifest = try verify(backup)
        let lock = try DataDirectoryLock.acquire(directory: dataDirectory)
        defer { withExtendedLifetime(lock) {} }
        let target = ReelEngine.Layout(dataDirectory)
        let fm = FileManager.default
        for path in [target.journal, target.views, target.snapshots, target.keys, target.blobs, target.recommender] where fm.fileExists(atPath: path) {
            throw .invalid("notEmpty", "\(dataDirectory) already holds data (\(path)); restore into a new directory, or move it away first")
        }
        let staging = "\(dataDirectory)/.restore-\(getpid())"
        do {
            try? fm.removeItem(atPath: staging)
            try copyTree(from: backup, to: staging)
            try? fm.removeItem(atPath: "\(staging)/\(manifestName)")
            // Each top-level entry appears whole by rename; a crash before the last leaves a directory that a
            // second restore refuses, never a half-copied file under its real name.
            for name in try fm.contentsOfDirectory(atPath: staging).sorted() {
                try fm.moveItem(atPath: "\(staging)/\(name)", toPath: "\(dataDirectory)/\(name)")
            }
            try fm.removeItem(atPath: staging)
        } catch {
            throw ReelError(.failure, "io", "restore into \(dataDirectory) failed: \(error)")
        }
        return manifest
    }

    // MARK: Helpers

    private static var readOnly: Configuration {
        var c = Configuration()
        c.readonly = true
        return c
    }

    /// SQLite's online backup: a consistent copy even while another process writes.
    private static func copySQLite(from: String, to: String) throws {
        let source = try DatabaseQueue(path: from, configuration: readOnly)
        let target = try DatabaseQueue(path: to)
        try source.backup(to: target)
        try target.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = DELETE") }
        try target.close()
        try source.close()
    }

    private static func copyTree(from: String, to: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: to, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: from) where !name.hasPrefix(".restore-") {
            var isDirectory: ObjCBool = false
            let exists = fm.fileExists(atPath: "\(from)/\(name)", isDirectory: &isDirectory)
            if exists && isDirectory.boolValue {
                try copyTree(from: "\(from)/\(name)", to: "\(to)/\(name)")
            } else if name != "LOCK" && !name.hasSuffix("-wal") && !name.hasSuffix("-shm") {
                try fm.copyItem(atPath: "\(from)/\(name)", toPath: "\(to)/\(name)")
            }
        }
    }

    private static func files(in directory: String) throws -> [Manifest.File] {
        var out: [Manifest.File] = []
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: directory) else { return [] }
        while let relative = walker.nextObject() as? String {
            let path = "\(directory)/\(relative)"
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue, relative != manifestName else { continue }
            let size = (try fm.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            out.append(Manifest.File(path: relative, bytes: size, sha256: try sha256(of: path)))
        }
        return out.sorted { $0.path < $1.path }
    }

    static func sha256(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoSuchFile) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
