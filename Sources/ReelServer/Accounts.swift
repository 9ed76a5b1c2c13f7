import Crypto
import Foundation
import GRDB
import Reel
import Synchronization
import _CryptoExtras

/// Login credentials and bearer tokens. Deliberately outside the journal: a password hash is not a domain
/// fact, must not be replayed into audits, and must go when the account is erased.
///
/// Passwords: PBKDF2-HMAC-SHA256, 210,000 rounds (OWASP's floor for it), 16-byte random salt per account.
/// Tokens: `r1.<key id>.<token id>.<user>.<expires>.<mac>`, HMAC-SHA256 under one of the signing keys.
/// Rotating adds a new signing key for new tokens while older keys still verify the tokens they signed,
/// so nobody is logged out at once; a key is dropped only after every token it signed has expired.
/// Logging out revokes one token (its id is kept until it would have expired).
public final class AccountStore: Sendable {
    let db: DatabaseQueue
    public let tokenLifetimeSeconds: Int64
    /// Tokens already verified (every API request presents one): skipping the three lookups and the HMAC
    /// matters on the engagement path. Log-out and erasure go through this store and evict; signing keys are
    /// only deleted once all their tokens have expired, so a cached token can never outlive its key's validity.
    let verified = Mutex([String: (user: UInt64, id: String, expiresAt: Int64)]())
    public static let rounds = 210_000
    let hasher: PasswordHasher

    public struct Token: Sendable, Hashable {
        public var value: String
        public var user: UInt64
        public var expiresAt: Int64
    }

    /// Opens or creates the store; the file (signing keys, password hashes) is kept 0600.
    public init(path: String, tokenLifetimeSeconds: Int64 = 7 * 24 * 3600, hasher: PasswordHasher = PasswordHasher()) throws {
        FilePrivacy.prepareSecretFile(path)
        do {
            db = try DatabaseQueue(path: path)
            try StoreDamage.quickCheck(db)
        } catch {
            throw SecretStoreCheck.failure(path, holds: "every account's password hash and the token signing keys", error)
        }
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.hasher = hasher
        try db.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS account(user INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE, salt BLOB NOT NULL, hash BLOB NOT NULL, rounds INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS signing_key(id INTEGER PRIMARY KEY, secret BLOB NOT NULL, created_at INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS revoked_token(id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
                    """)
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM signing_key") == 0 { try Self.insertKey(db) }
            // Stores from before atomic sign-up have no pending column: every account there is active.
            if try !db.columns(in: "account").contains(where: { $0.name == "pending" }) {
                try db.execute(sql: "ALTER TABLE account ADD COLUMN pending INTEGER NOT NULL DEFAULT 0")
            }
        }
    }

    static func insertKey(_ db: Database, now: Int64 = Int64(Date().timeIntervalSince1970)) throws {
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        try db.execute(sql: "INSERT INTO signing_key(secret, created_at) VALUES (?, ?)", arguments: [secret, now])
    }

    // MARK: Passwords

    public static let minimumPasswordLength = 8

    /// An active account at once (the demo catalogue's and tests'). Sign-up goes through `reserve` and
    /// `activate` instead (`SignUp`).
    public func createAccount(user: UInt64, handle: String, password: String) async throws {
        try await reserve(user: user, handle: handle, password: password)
        try activate(user: user)
    }

    /// The handle is taken (by an active account or one being registered).
    public struct HandleTaken: Error, Sendable {}

    /// Step one of a sign-up: the account, pending, under a handle nobody else has (the table's unique
    /// index decides, across processes too). A pending account cannot log in; `activate` or
    /// `reconcilePending` settles it.
    public func reserve(user: UInt64, handle: String, password: String) async throws {
        guard try !handleTaken(handle) else { throw HandleTaken() }  // before the slow hash
        let salt = Data((0..<16).map { _ in UInt8.random(in: 0...255) })
        let hash = try await hasher.hash(password, salt: salt, rounds: Self.rounds)
        do {
            try await db.write { db in
                try db.execute(
                    sql: "INSERT INTO account(user, handle, salt, hash, rounds, pending) VALUES (?, ?, ?, ?, ?, 1)",
                    arguments: [Int64(bitPattern: user), handle.lowercased(), salt, hash, Self.rounds])
            }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
            throw HandleTaken()
        }
    }

    /// Step two: the journal has the user, so the account can log in.
    public func activate(user: UInt64) throws {
        try db.write { try $0.execute(sql: "UPDATE account SET pending = 0 WHERE user = ?", arguments: [Int64(bitPattern: user)]) }
    }

    /// After a crash between the steps: a pending account whose user the journal has is activated, one whose
    /// user it lacks is dropped (the sign-up never happened, and its handle is free again).
    @discardableResult
    public func reconcilePending(registered: (UInt64) throws -> Bool) throws -> (activated: Int, dropped: Int) {
        let pending = try db.read { try Int64.fetchAll($0, sql: "SELECT user FROM account WHERE pending = 1 ORDER BY user") }
        var result = (activated: 0, dropped: 0)
        for raw in pending {
            let user = UInt64(bitPattern: raw)
            if try registered(user) {
                try activate(user: user)
                result.activated += 1
            } else {
                try deleteAccount(user: user)
                result.dropped += 1
            }
        }
        return result
    }

    public func handleTaken(_ handle: String) throws -> Bool {
        try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM account WHERE handle = ?", arguments: [handle.lowercased()]) ?? 0 } > 0
    }

    /// The user whose handle and password these are, or nil (the same answer for an unknown handle, a
    /// pending sign-up and a wrong password, after the same work, so none is revealed).
    public func verify(handle: String, password: String) async throws -> UInt64? {
        let row = try await db.read {
            try Row.fetchOne($0, sql: "SELECT user, salt, hash, rounds FROM account WHERE handle = ? AND pending = 0", arguments: [handle.lowercased()])
        }
        guard let row else {
            _ = try await hasher.hash(password, salt: Data(count: 16), rounds: Self.rounds)
            return nil
        }
        let salt: Data = row["salt"], stored: Data = row["hash"], rounds: Int = row["rounds"]
        let computed = try await hasher.hash(password, salt: salt, rounds: rounds)
        return constantTimeEquals(computed, stored) ? UInt64(bitPattern: row["user"] as Int64) : nil
    }

    public func deleteAccount(user: UInt64) throws {
        try db.write { try $0.execute(sql: "DELETE FROM account WHERE user = ?", arguments: [Int64(bitPattern: user)]) }
        verified.withLock { cache in cache = cache.filter { $0.value.user != user } }
    }

    static func hash(_ password: String, salt: Data, rounds: Int) throws -> Data {
        try KDF.Insecure.PBKDF2.deriveKey(from: Data(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, rounds: rounds)
            .withUnsafeBytes { Data($0) }
    }

    // MARK: Tokens

    public func issueToken(user: UInt64, now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> Token {
        let (kid, secret) = try db.read { db -> (Int64, Data) in
            let row = try Row.fetchOne(db, sql: "SELECT id, secret FROM signing_key ORDER BY id DESC LIMIT 1")!
            return (row["id"], row["secret"])
        }
        let id = (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let expires = now + tokenLifetimeSeconds
        let body = "r1.\(kid).\(id).\(user).\(expires)"
        return Token(value: body + "." + Self.mac(body, secret), user: user, expiresAt: expires)
    }

    /// The token's user when it is well formed, signed by a known key, not expired and not revoked.
    public func authenticate(_ token: String, now: Int64 = Int64(Date().timeIntervalSince1970)) -> (user: UInt64, id: String, expiresAt: Int64)? {
        if let hit = verified.withLock({ $0[token] }) { return hit.expiresAt > now ? hit : nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "r1", let kid = Int64(parts[1]), let user = UInt64(parts[3]), let expires = Int64(parts[4]), expires > now else {
            return nil
        }
        guard let found = try? db.read({ db -> (Data?, Bool) in
            let secret = try Data.fetchOne(db, sql: "SELECT secret FROM signing_key WHERE id = ?", arguments: [kid])
            let revoked = try Int.fetchOne(db, sql: "SELECT count(*) FROM revoked_token WHERE id = ?", arguments: [parts[2]]) ?? 0 > 0
            // An erased account's tokens stop working at once.
            let exists = try Int.fetchOne(db, sql: "SELECT count(*) FROM account WHERE user = ?", arguments: [Int64(bitPattern: user)]) ?? 0 > 0
            return (secret, revoked || !exists)
        }), let secret = found.0, !found.1 else { return nil }
        let body = parts[0...4].joined(separator: ".")
        guard constantTimeEquals(Data(Self.mac(body, secret).utf8), Data(parts[5].utf8)) else { return nil }
        verified.withLock { cache in
            if cache.count >= 100_000 { cache.removeAll(keepingCapacity: true) }
            cache[token] = (user, parts[2], expires)
        }
        return (user, parts[2], expires)
    }

    public func revoke(tokenID: String, expiresAt: Int64) throws {
        try db.write { try $0.execute(sql: "INSERT OR IGNORE INTO revoked_token(id, expires_at) VALUES (?, ?)", arguments: [tokenID, expiresAt]) }
        verified.withLock { cache in cache = cache.filter { $0.value.id != tokenID } }
    }

    /// Starts signing with a new key. Tokens signed by older keys keep working until they expire; keys older
    /// than the token lifetime (and revocations of expired tokens) are dropped.
    public func rotateSigningKey(now: Int64 = Int64(Date().timeIntervalSince1970)) throws {
        try db.write { db in
            try Self.insertKey(db, now: now)
            // A key signs until its successor is made, so the last token it signed expires a lifetime after
            // that: only then can it go (its own age says nothing: an old key may have signed a second ago).
            try db.execute(
                sql: """
                    DELETE FROM signing_key WHERE (SELECT min(created_at) FROM signing_key AS successor
                        WHERE successor.id > signing_key.id) <= ?
                    """, arguments: [now - tokenLifetimeSeconds])
            try db.execute(sql: "DELETE FROM revoked_token WHERE expires_at < ?", arguments: [now])
        }
        verified.withLock { $0.removeAll() }  // keys may have gone; verify again
    }

    public var signingKeyCount: Int { (try? db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM signing_key") }) ?? 0 }

    static func mac(_ body: String, _ secret: Data) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: secret)).map { String(format: "%02x", $0) }.joined()
    }
}

func constantTimeEquals(_ a: Data, _ b: Data) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for (x, y) in zip(a, b) { diff |= x ^ y }
    return diff == 0
}
