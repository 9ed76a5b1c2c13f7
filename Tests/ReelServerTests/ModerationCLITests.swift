import Foundation
import ReelTesting
import Testing

/// `reel moderation` works the queue of a real running `reel serve` through its admin API, with the token
/// the server wrote into its data directory.
@Suite(.enabled(if: reelExecutable() != nil, "needs the reel binary")) struct ModerationCLITests {
    func reel(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: reelExecutable()!)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func theQueueIsWorkedFromATerminal() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let port = Int.random(in: 20_000...40_000)
        let server = try startReelServe(dataDir: "\(dir)/data", port: port)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        try await waitHealthy(port: port)
        let http = ServerCrashTests.HTTP(port: port)
        func signUp(_ handle: String) async throws -> (UInt64, ServerCrashTests.HTTP) {
            let (_, user) = try await http.call(
                .post, "/api/v1/users",
                [
                    "handle": handle, "email": "\(handle)@example.org", "display_name": handle,
                    "password": "secret-\(handle)",
                ])
            let (_, login) = try await http.call(
                .post, "/api/v1/sessions", ["handle": handle, "password": "secret-\(handle)"])
            var signed = http
            signed.token = login["token"] as? String
            return (try #require((user["id"] as? NSNumber)?.uint64Value), signed)
        }
        let (spammer, _) = try await signUp("spammer")
        let (_, reporter) = try await signUp("reporter")
        #expect(
            try await reporter.call(.post, "/api/v1/reports", ["target": "account", "id": spammer, "reason": "spam"]).0
                == 202)

        let url = "http://127.0.0.1:\(port)"
        let queue = try reel(["moderation", "queue", "--url", url, "--data-dir", "\(dir)/data"])
        #expect(
            queue.status == 0 && queue.output.contains("1 open case(s)") && queue.output.contains("\(spammer)"),
            "\(queue.output)")
        let decided = try reel([
            "moderation", "decide", "\(spammer)", "--action", "takedown", "--reason", "spam account", "--moderator",
            "cli", "--url", url, "--data-dir", "\(dir)/data",
        ])
        #expect(decided.status == 0 && decided.output.contains("actioned"), "\(decided.output)")
        let log = try reel(["moderation", "decisions", "--json", "--url", url, "--data-dir", "\(dir)/data"])
        #expect(log.output.contains("\"moderator\" : \"cli\""), "\(log.output)")
        let (loginStatus, login) = try await http.call(
            .post, "/api/v1/sessions", ["handle": "spammer", "password": "secret-spammer"])
        #expect(loginStatus == 403 && (login["error"] as? [String: Any])?["code"] as? String == "accountSuspended")
        // The server's own message when a decision is refused; a clear one when no server listens.
        let again = try reel([
            "moderation", "decide", "\(spammer)", "--action", "dismiss", "--reason", "x", "--url", url, "--data-dir",
            "\(dir)/data",
        ])
        #expect(again.status != 0 && again.output.contains("invalidTransition"), "\(again.output)")
        let wrongToken = try reel(["moderation", "queue", "--url", url, "--token", "nope"])
        #expect(wrongToken.status != 0 && wrongToken.output.contains("adminOnly"), "\(wrongToken.output)")
        let nobody = try reel(["moderation", "queue", "--url", "http://127.0.0.1:1", "--token", "x"])
        #expect(nobody.status != 0 && nobody.output.contains("is `reel serve` running there?"), "\(nobody.output)")
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
    }
}
