import ArgumentParser
import Reel

/// `reel backup DIR`: a consistent copy of the data directory, safe while an engine runs.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy journal, snapshots, keys, views and blobs consistently (safe while the engine runs).")
    @OptionGroup var data: DataDirectoryOptions
    @Argument(help: "The backup directory (created; must be empty).") var destination: String

    func run() throws {
        data.noteIfInUse()
        do {
            let m = try Backup.create(dataDirectory: data.dataDir, destination: destination)
            print("backed up \(m.journalNextPosition) events, \(m.files.count) files, \(m.files.reduce(0) { $0 + $1.bytes }) bytes to \(destination)")
            print("journal head \(m.journalHeadHash)")
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// `reel restore BACKUP`: verifies a backup, then restores it into a new data directory.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Check a backup (file hashes, journal hash chain) and restore it into an empty data directory.")
    @OptionGroup var data: DataDirectoryOptions
    @Argument(help: "The backup directory.") var backup: String
    @Flag(help: "Only check the backup; write nothing.") var checkOnly = false

    func run() throws {
        do {
            let m = checkOnly ? try Backup.verify(backup) : try Backup.restore(backup, into: data.dataDir)
            print("\(checkOnly ? "verified" : "restored") \(m.files.count) files, journal of \(m.journalNextPosition) events, head \(m.journalHeadHash)")
            if !checkOnly { print("data directory: \(data.dataDir)") }
        } catch {
            throw CLIError(error.description)
        }
    }
}
