import ArgumentParser
import Foundation
import ReelServer

/// `reel tokens rotate`: starts signing log-in tokens with a new key. Tokens signed before keep working until
/// they expire (nobody is logged out at once); keys older than the token lifetime are dropped. Safe while the
/// server runs (the account store is SQLite; the server reads keys per request).
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Log-in token signing keys.", subcommands: [RotateTokens.self])
}

struct RotateTokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate", abstract: "Sign new tokens with a new key; older tokens stay valid until they expire.")
    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "Hours a token lives (server.tokenLifetimeHours).") var lifetimeHours = 168

    func run() async throws {
        let path = "\(data.dataDir)/accounts.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no account store at \(path)") }
        let accounts = try AccountStore(path: path, tokenLifetimeSeconds: Int64(lifetimeHours) * 3600)
        try accounts.rotateSigningKey()
        print("rotated: \(accounts.signingKeyCount) signing key(s) verify tokens now; new tokens use the newest")
    }
}
