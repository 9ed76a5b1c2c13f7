import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `reel moderation`: the review queue from a terminal. It talks to the running server's admin API (the
/// server owns the data directory while it runs), with the admin token from `--token`, `REEL_ADMIN_TOKEN`
/// or `<data-dir>/admin.token`.
struct ModerationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moderation",
        abstract: "Work the moderation queue of a running server (reports, takedowns, restores).",
        subcommands: [
            ModerationQueueCommand.self, ModerationCaseCommand.self, ModerationDecideCommand.self,
            ModerationDecisionsCommand.self,
        ])
}

struct ModerationServer: ParsableArguments {
    @Option(help: "The server's base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "The admin token (default: REEL_ADMIN_TOKEN, else <data-dir>/admin.token).") var token: String?
    @Option(name: .customLong("data-dir"), help: "The server's data directory (for its admin.token).") var dataDir =
        "./reel-data"
    @Flag(help: "Print the server's JSON instead of a table.") var json = false

    func adminToken() throws -> String {
        if let token { return token }
        if let env = ProcessInfo.processInfo.environment["REEL_ADMIN_TOKEN"], !env.isEmpty { return env }
        let path = "\(dataDir)/admin.token"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError(
                "no admin token: pass --token, set REEL_ADMIN_TOKEN, or point --data-dir at the server's data directory (\(path) is not readable)"
            )
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// One admin API call; the JSON answer, or an error that carries the server's own message.
    func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = http.shutdown() }
        var request = HTTPClientRequest(url: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(try adminToken())")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response: HTTPClientResponse
        do { response = try await http.execute(request, timeout: .seconds(30)) } catch {
            throw ValidationError("cannot reach \(url) (\(error)); is `reel serve` running there?")
        }
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
        guard (200..<300).contains(Int(response.status.code)) else {
            let e = object["error"] as? [String: Any]
            throw ValidationError(
                "\(response.status.code) \(e?["code"] as? String ?? ""): \(e?["message"] as? String ?? String(buffer: bytes))"
            )
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
        return object
    }
}

struct ModerationQueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "The cases waiting for a moderator, held uploads and the most reported first.")
    @OptionGroup var server: ModerationServer
    @Option(help: "How many cases (1…200).") var limit = 50

    func run() async throws {
        let out = try await server.call(.GET, "/api/v1/admin/moderation/queue?limit=\(limit)")
        guard !server.json else { return }
        let cases = out["cases"] as? [[String: Any]] ?? []
        print("\(out["open"] ?? 0) open case(s)")
        if !cases.isEmpty { print(ModerationTable.row(["ID", "TARGET", "STATUS", "REPORTS", "REASONS", "SUBJECT"])) }
        for c in cases {
            let reasons = (c["reasons"] as? [String: Int] ?? [:]).sorted { $0.value > $1.value }.map {
                "\($0.key)×\($0.value)"
            }
            print(
                ModerationTable.row([
                    "\(c["id"] ?? "")", "\(c["target"] ?? "")", "\(c["status"] ?? "")", "\(c["open_reports"] ?? 0)",
                    reasons.joined(separator: " "), "\(c["subject"] ?? "")",
                ]))
        }
    }
}

struct ModerationCaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "case", abstract: "One case with its history.")
    @OptionGroup var server: ModerationServer
    @Argument(help: "The target's id.") var id: UInt64

    func run() async throws {
        let c = try await server.call(.GET, "/api/v1/admin/moderation/cases/\(id)")
        guard !server.json else { return }
        print(
            "case \(id): \(c["target"] ?? "") of user \(c["subject"] ?? ""), \(c["status"] ?? ""), \(c["open_reports"] ?? 0) open report(s)"
        )
        for e in c["history"] as? [[String: Any]] ?? [] {
            let what: String
            switch e["kind"] as? String {
            case "reported": what = "reported by \(e["reporter"] ?? 0): \(e["reason"] ?? "")"
            case "held": what = "held: looks like taken-down video \(e["similar_to"] ?? "")"
            default: what = "\(e["action"] ?? "") by \(e["moderator"] ?? ""): \(e["reason"] ?? "")"
            }
            print("  \(e["at"] ?? "")  #\(e["position"] ?? "")  \(what)")
        }
    }
}

struct ModerationDecideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Take down, restore, dismiss or approve; the reason and moderator are recorded.")
    @OptionGroup var server: ModerationServer
    @Argument(help: "The target's id.") var id: UInt64
    @Option(help: "takedown, restore, dismiss or approve.") var action: String
    @Option(help: "Why (shown to the subject; 1–500 characters).") var reason: String
    @Option(help: "Who decides (1–64 characters).") var moderator =
        ProcessInfo.processInfo.environment["USER"] ?? "admin"
    @Option(help: "video, comment or account: needed only when nobody reported it.") var target: String?

    func run() async throws {
        var body: [String: Any] = ["action": action, "reason": reason, "moderator": moderator]
        if let target { body["target"] = target }
        let c = try await server.call(.POST, "/api/v1/admin/moderation/cases/\(id)/decision", body)
        if !server.json { print("case \(id): \(c["status"] ?? "")") }
    }
}

struct ModerationDecisionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decisions", abstract: "Every decision, newest first: the moderation audit trail.")
    @OptionGroup var server: ModerationServer
    @Option(help: "How many (1…200).") var limit = 50
    @Option(help: "The cursor a previous page printed.") var cursor: String?

    func run() async throws {
        let page = try await server.call(
            .GET, "/api/v1/admin/moderation/decisions?limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? ""))
        guard !server.json else { return }
        for d in page["decisions"] as? [[String: Any]] ?? [] {
            print(
                ModerationTable.row([
                    "\(d["at"] ?? "")", "\(d["action"] ?? "")", "\(d["target"] ?? "") \(d["id"] ?? "")",
                    "\(d["moderator"] ?? "")", "\(d["reason"] ?? "")",
                ]))
        }
        if let next = page["next_cursor"] as? String { print("more: --cursor \(next)") }
    }
}

enum ModerationTable {
    static func row(_ cells: [String]) -> String {
        zip(cells, [20, 9, 10, 8, 28, 0]).map { cell, width in
            width == 0 ? cell : cell.padding(toLength: max(width, cell.count + 1), withPad: " ", startingAt: 0)
        }
        .joined()
    }
}
