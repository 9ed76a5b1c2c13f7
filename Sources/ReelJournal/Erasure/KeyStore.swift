import Crypto
import Foundation
import GRDB
import Synchronization

/// Per-person AES-256-GCM keys in their own SQLite file, outside the journal (crypto-shredding).
///
/// `erase(subject:)` deletes the key; with `secure_delete` on and a rollback journal (not WAL), SQLite
/// overwrites the freed bytes, so no copy of the key survives in the file. Every sealed field of that person
/// in the journal becomes unreadable while the journal's checksums and hash chain still verify.
public final class KeyStore: PersonalDataCipher, Sendable {
    private let db: DatabaseQueue
    private let cache = Mutex<[UInt64: Data]>([:])

    /// Opens or creates the key store at `path`. Blocking (SQLite).
    public init(path: String) throws(JournalError) {
        FilePrivacy.prepareSecretFile(path)
        do {
            var config = Configuration()
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA secure_delete = ON")
            }
            db = try DatabaseQueue(path: path, configuration: config)
            try StoreDamage.quickCheck(db)
            try db.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            try db.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS person_key (subject INTEGER PRIMARY KEY, key BLOB NOT NULL);
                        CREATE TABLE IF NOT EXISTS erased_subject (subject INTEGER PRIMARY KEY, erased_at INTEGER NOT NULL);
                        """)
            }
        } catch {
            throw SecretStoreCheck.failure(path, holds: "the key of every person's sealed personal data", error)
        }
    }

    public func seal(_ data: PersonalData) throws(JournalError) -> [UInt8] {
        let key = try key(for: data.subject, create: true)!
        do {
            let box = try AES.GCM.seal(data.bytes, using: key, authenticating: Self.aad(data.subject))
            return Array(box.combined!)
        } catch {
            throw JournalError(.io, "cannot encrypt personal data", cause: error)
        }
    }

    public func open(subject: UInt64, sealed: [UInt8]) throws(JournalError) -> [UInt8]? {
        guard let key = try key(for: subject, create: false) else { return nil }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: Self.aad(subject)))
        } catch {
            throw JournalError(.corruption, "personal data of subject \(subject) does not decrypt", cause: error)
        }
    }

    /// Deletes the subject's key for ever. Later `seal`s for the subject fail with `.erased`.
    public func erase(subject: UInt64, at time: Timestamp) throws(JournalError) {
        cache.withLock { _ = $0.removeValue(forKey: subject) }
        do {
            try db.write { db in
                try db.execute(sql: "DELETE FROM person_key WHERE subject = ?", arguments: [Int64(bitPattern: subject)])
                try db.execute(
                    sql: "INSERT OR REPLACE INTO erased_subject (subject, erased_at) VALUES (?, ?)",
                    arguments: [Int64(bitPattern: subject), time.microseconds])
            }
        } catch {
            throw JournalError(.io, "cannot erase the key of subject \(subject)", cause: error)
        }
    }

    public func isErased(subject: UInt64) throws(JournalError) -> Bool {
        do {
            return try db.read { db in
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM erased_subject WHERE subject = ?", arguments: [Int64(bitPattern: subject)])
                    ?? false
            }
        } catch {
            throw JournalError(.io, "cannot read key store", cause: error)
        }
    }

    private func key(for subject: UInt64, create: Bool) throws(JournalError) -> SymmetricKey? {
        if let k = cache.withLock({ $0[subject] }) { return SymmetricKey(data: k) }
        let id = Int64(bitPattern: subject)
        let stored: Data?
        do {
            stored = try db.write { db -> Data? in
                if let data = try Data.fetchOne(db, sql: "SELECT key FROM person_key WHERE subject = ?", arguments: [id]) {
                    return data
                }
                guard create else { return nil }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM erased_subject WHERE subject = ?", arguments: [id]) ?? false {
                    throw JournalError(.erased, "subject \(subject) was erased; no new personal data may be stored")
                }
                let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
                try db.execute(sql: "INSERT INTO person_key (subject, key) VALUES (?, ?)", arguments: [id, fresh])
                return fresh
            }
        } catch let e as JournalError {
            throw e
        } catch {
            throw JournalError(.io, "cannot read key store", cause: error)
        }
        guard let stored else { return nil }
        cache.withLock { $0[subject] = stored }
        return SymmetricKey(data: stored)
    }

    private static func aad(_ subject: UInt64) -> [UInt8] {
        withUnsafeBytes(of: subject.littleEndian) { Array($0) }
    }
}

extension JournalConfiguration {
    /// A journal whose personal data is sealed under the keys of a `KeyStore` at `keys` (created if new): what
    /// any journal of Reel's domain events needs, since their personal text is always sealed.
    public static func sealing(directory: String, keys: String) throws(JournalError) -> JournalConfiguration {
        var c = JournalConfiguration(directory: directory)
        c.cipher = try KeyStore(path: keys)
        return c
    }
}
