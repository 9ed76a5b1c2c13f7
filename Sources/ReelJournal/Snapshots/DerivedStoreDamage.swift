import Foundation
import GRDB

/// A SQLite store (views, snapshots, keys, accounts) whose content does not check out: its owner names what it
/// found. Derived stores are rebuilt on it (`DerivedStoreDamage`), secret stores stop the start (`SecretStoreCheck`).
public struct StoreDamage: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// SQLite's structure check (b-tree pages, free lists, index order; about 1 GB/s), run by every store at
    /// open: throws `StoreDamage` naming the first problems it finds.
    public static func quickCheck(_ db: some DatabaseReader) throws {
        let check = try db.read { try String.fetchAll($0, sql: "PRAGMA quick_check(5)") }
        guard check == ["ok"] else { throw StoreDamage("SQLite's quick_check found: " + check.joined(separator: "; ")) }
    }
}

/// What makes a derived store rebuildable rather than fatal, and how it is discarded. Derived stores hold
/// nothing the journal does not (issue 24, item 11): a damaged one is deleted and rebuilt from events; the
/// secret stores (accounts, keys) never come here, their damage stops the start.
public enum DerivedStoreDamage {
    /// Damage, as opposed to a failure of the machine (permissions, a full disk, a lock): SQLite finding the
    /// file corrupt or not a database, a checksum or decoding failure of the stored bytes, or a failed check.
    public static func isDamage(_ error: any Error) -> Bool {
        if let e = error as? DatabaseError {
            return e.resultCode.primaryResultCode == .SQLITE_CORRUPT || e.resultCode.primaryResultCode == .SQLITE_NOTADB
        }
        if let e = error as? JournalError {
            return e.code == .corruption || e.code == .malformed || e.cause.map(isDamage) == true
        }
        return error is StoreDamage
    }

    /// Deletes a SQLite file with its write-ahead log and shared-memory index.
    public static func removeDatabase(_ path: String) throws {
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.removeItem(atPath: path + suffix)
        }
    }
}

/// The check the secret stores (`keys.sqlite`, `accounts.sqlite`) get at open. Unlike derived stores they
/// cannot be rebuilt: damage stops the start with a message that names the file and says to restore it.
public enum SecretStoreCheck {
    /// The error for a secret store that failed to open: damage gets the restore advice, anything else the
    /// plain reason.
    public static func failure(_ path: String, holds what: String, _ error: any Error) -> JournalError {
        guard DerivedStoreDamage.isDamage(error) else { return JournalError(.io, "cannot open \(path)", file: path, cause: error) }
        return JournalError(
            .corruption,
            "\(path) is damaged (\(error)). It holds \(what) and cannot be rebuilt from the journal: restore it from a "
                + "backup (`reel backup restore`); the server does not start without it.", file: path)
    }
}
