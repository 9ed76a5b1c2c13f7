import ArgumentParser
import Foundation
import Reel
import ReelDomain
import ReelJournal
import Synchronization

/// The `--data-dir` option every command that touches stored data takes.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The data directory.")
    var dataDir: String = "./reel-data"

    /// The same file layout the engine uses.
    var layout: ReelEngine.Layout { ReelEngine.Layout(dataDir) }
    var journalDirectory: String { layout.journal }
    var keyStorePath: String { layout.keys }
    var snapshotPath: String { layout.snapshots }
    var viewStorePath: String { layout.views }

    /// The snapshot store, if the data directory has one.
    func openSnapshots() throws -> SnapshotStore? {
        PosixFileSystem().fileExists(snapshotPath) ? try SnapshotStore(path: snapshotPath) : nil
    }

    /// Tells (on standard error) when an engine holds the directory: what follows reads it read-only.
    func noteIfInUse() {
        if let pid = DataDirectoryLock.holder(of: dataDir) {
            FileHandle.standardError.write(Data("note: \(dataDir) is in use by process \(pid); reading it read-only\n".utf8))
        }
    }

    /// Opens the journal read-only (no lock, so it works while a server runs), with the key store if present.
    func openForReading() throws -> Journal {
        noteIfInUse()
        var config = JournalConfiguration(directory: journalDirectory)
        config.readOnly = true
        if PosixFileSystem().fileExists(keyStorePath) { config.cipher = try KeyStore(path: keyStorePath) }
        guard PosixFileSystem().fileExists(journalDirectory) else {
            throw ValidationError("no journal in \(dataDir) (looked for \(journalDirectory))")
        }
        return try Journal.open(config)
    }

    /// Opens the journal for appending, holding the data directory's lock for as long as the journal lives;
    /// refuses (naming the holder) when an engine or another tool has it.
    func openForWriting(durability: Durability = .syncEachCommit) throws -> Journal {
        let lock: DataDirectoryLock
        do { lock = try DataDirectoryLock.acquire(directory: dataDir) } catch { throw CLIError("\(error.message); this command writes, so it will not run") }
        DataDirectoryOptions.heldLocks.withLock { $0.append(lock) }
        var config = JournalConfiguration(directory: journalDirectory)
        config.durability = durability
        config.cipher = try KeyStore(path: keyStorePath)
        return try Journal.open(config)
    }
}

extension DataDirectoryOptions {
    /// Locks taken by this process, kept until it exits (the kernel releases them then).
    static let heldLocks = Mutex<[DataDirectoryLock]>([])
}

/// Parses a time argument: ISO-8601 or Unix seconds.
func parseTime(_ text: String, option: String) throws -> Timestamp {
    guard let t = Timestamp(parsing: text) else {
        throw ValidationError("\(option): '\(text)' is neither ISO-8601 (2026-11-21T10:00:00Z) nor Unix seconds")
    }
    return t
}

/// Prints a line to standard output without buffering surprises.
func emit(_ line: String) {
    print(line)
}

/// A failure to report as `Error: <message>` without the usage text ArgumentParser adds to validation errors.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
