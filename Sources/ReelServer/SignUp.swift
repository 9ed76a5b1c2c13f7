import Reel

/// A sign-up that a crash cannot leave half done. The account is written first, pending, under its handle
/// (the unique index refuses a second one, even from a retry racing the first); then the journal records the
/// user; then the account is activated. A crash between the steps leaves a pending account, which the next
/// start activates if the journal has the user and drops if not (`AccountStore.reconcilePending`). So there
/// is never a public user without a log-in, nor two users with one handle.
enum SignUp {
    static func register(
        engine: ReelEngine, accounts: AccountStore, handle: String, region: String, email: String, displayName: String,
        password: String
    ) async throws -> UInt64 {
        // The engine's rules first, so a handle it would refuse costs no hash and holds no account.
        do {
            try UserEntity.checkHandle(handle)
            try UserEntity.checkProfile(region: region, email: email, displayName: displayName)
        } catch {
            throw APIError(.unprocessableContent, error.code, error.message)
        }
        for _ in 0..<5 {
            let id = engine.newID()
            do {
                try await accounts.reserve(user: id, handle: handle, password: password)
            } catch is AccountStore.HandleTaken {
                throw APIError(.conflict, "handleTaken", "the handle \(handle) is taken")
            } catch is PasswordHasher.Busy {
                var e = APIError(.tooManyRequests, "rateLimited", "too many sign-ups and log-ins are being checked; try again in a few seconds")
                e.headers[.retryAfter] = "5"
                throw e
            }
            do {
                try await engine.registerUser(id: id, handle: handle, region: region, email: email, displayName: displayName)
            } catch {
                if error.code == "alreadyRegistered" {  // the id was someone else's: drop ours, try another
                    try? accounts.deleteAccount(user: id)
                    continue
                }
                // Recorded after all (the error came later): the user exists, so the account goes live.
                // Not recorded: the handle is free again. Unknown (the journal cannot be read): the pending
                // account stays for the next start to settle.
                switch try? await engine.isRegistered(id) {
                case true?: break
                case false?:
                    try? accounts.deleteAccount(user: id)
                    throw error
                case nil: throw error
                }
            }
            try accounts.activate(user: id)
            return id
        }
        throw APIError(.serviceUnavailable, "idExhausted", "could not find a free user id in 5 tries")
    }
}
