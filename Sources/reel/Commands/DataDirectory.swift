import ArgumentParser
import ReelDomain
import ReelJournal

/// The `--data-dir` option every command that touches stored data takes.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The data directory.")
    var dataDir: String = "./reel-data"

    var journalDirectory: String { "\(dataDir)/journal" }
    var keyStorePath: String { "\(dataDir)/keys.sqlite" }
    var snapshotPath: String { "\(dataDir)/snapshots.sqlite" }
    var viewStorePath: String { "\(dataDir)/views.sqlite" }

    /// The snapshot store, if the data directory has one.
    func openSnapshots() throws -> SnapshotStore? {
        PosixFileSystem().fileExists(snapshotPath) ? try SnapshotStore(path: snapshotPath) : nil
    }

    /// Opens the journal read-only (no lock, so it works while a server runs), with the key store if present.
    func openForReading() throws -> Journal {
        var config = JournalConfiguration(directory: journalDirectory)
        config.readOnly = true
        if PosixFileSystem().fileExists(keyStorePath) { config.cipher = try KeyStore(path: keyStorePath) }
        guard PosixFileSystem().fileExists(journalDirectory) else {
            throw ValidationError("no journal in \(dataDir) (looked for \(journalDirectory))")
        }
        return try Journal.open(config)
    }

    func openForWriting(durability: Durability = .syncEachCommit) throws -> Journal {
        try PosixFileSystem().createDirectory(dataDir)
        var config = JournalConfiguration(directory: journalDirectory)
        config.durability = durability
        config.cipher = try KeyStore(path: keyStorePath)
        return try Journal.open(config)
    }
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
