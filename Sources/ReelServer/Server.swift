import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import Prometheus
import Reel
import ReelMedia
import ServiceLifecycle

/// The Reel server as an application: the engine, its media service and the HTTP API in one service group.
/// On SIGTERM or SIGINT the HTTP server stops accepting and drains, then the media service stops (running
/// tools are killed; their jobs stay pending in the journal), then the engine drains, snapshots, checkpoints
/// and closes the journal. A host embedding Reel in its own server can call ``ReelServer/addRoutes(to:)``
/// on its router instead.
public struct ReelServer: Sendable {
    public let engine: ReelEngine
    public let media: MediaService
    public let api: ReelAPI
    public let logger: Logger

    /// Opens the data directory (locking it), the accounts and the upload store.
    public init(configuration: ReelConfiguration, logger: Logger = Logger(label: "reel.server")) throws {
        self.logger = logger
        engine = try ReelEngine(configuration: configuration, logger: logger)
        media = try MediaService(engine: engine, logger: Logger(label: "reel.media"))
        let dir = configuration.dataDirectory
        let accountsPath = "\(dir)/accounts.sqlite"
        if !FileManager.default.fileExists(atPath: accountsPath), !configuration.journal.allowMissingSecretStores,
            let signUp = try engine.firstSignUpPosition()
        {
            throw ReelError(
                .failure, "accountStoreMissing",
                "\(accountsPath) is missing, but the journal records sign-ups (the first at position \(signUp)): starting without "
                    + "it would leave every account unable to log in. Restore accounts.sqlite from a backup (`reel backup restore`), "
                    + "or set journal.allowMissingSecretStores (REEL_JOURNAL_ALLOW_MISSING_SECRET_STORES=true) to accept that.")
        }
        let accounts = try AccountStore(path: "\(dir)/accounts.sqlite", tokenLifetimeSeconds: Int64(configuration.server.tokenLifetimeHours) * 3600)
        // Sign-ups a crash cut between their steps (`SignUp`): settled by what the journal says.
        let opened = engine
        let settled = try accounts.reconcilePending { user in try !opened.events(of: .user, user).isEmpty }
        if settled != (0, 0) {
            logger.notice("sign-ups cut short by a crash: \(settled.activated) accounts activated, \(settled.dropped) dropped (never recorded)")
        }
        let index = ServerIndex()
        engine.subscribe(index, personalData: true)  // comment text is sealed personal data
        let moderation = ModerationQueue()
        engine.subscribe(moderation, personalData: false)
        api = ReelAPI(
            engine: engine, media: media, accounts: accounts, index: index, moderation: moderation, adminToken: try Self.adminToken(configuration))
    }

    /// The configured admin token, or the one generated at first start into `<data-dir>/admin.token` (0600).
    static func adminToken(_ c: ReelConfiguration) throws -> String {
        if !c.server.adminToken.isEmpty { return c.server.adminToken }
        let path = "\(c.dataDirectory)/admin.token"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
            FilePrivacy.restrict(path)
            return existing
        }
        let token = "admin-" + (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        guard FileManager.default.createFile(atPath: path, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.internalServerError, "storageFailed", "cannot write \(path)")
        }
        return token
    }

    public func addRoutes(to router: Router<ReelRequestContext>) { api.addRoutes(to: router) }

    /// The HTTP application on the configured host and port, running the engine and media service with it.
    /// With `metrics` (from ``ReelMetrics/bootstrap()``), `/metrics` serves it and requests are measured.
    public func application(extraServices: [any Service] = [], metrics: PrometheusCollectorRegistry? = nil) -> some ApplicationProtocol {
        let router = Router(context: ReelRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.debug))
        if let metrics {
            router.add(middleware: MetricsMiddleware())
            ReelMetrics.addRoute(to: router, registry: metrics, api: api, isPublic: engine.configuration.server.publicMetrics)
        }
        addRoutes(to: router)
        let c = engine.configuration.server
        // Idle keep-alive connections are closed (an idle socket costs a file descriptor; thousands were kept).
        let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(Int64(c.idleConnectionSeconds)))
        return Application(
            router: router, server: .http1(configuration: http1),
            configuration: .init(address: .hostname(c.host, port: c.port), serverName: "reel"),
            services: [engine, media] + extraServices, logger: logger)
    }
}

/// `buildApplication(configuration:)`: the server a host runs with `try await app.runService()`.
public func buildApplication(configuration: ReelConfiguration, logger: Logger = Logger(label: "reel.server")) throws -> some ApplicationProtocol {
    try ReelServer(configuration: configuration, logger: logger).application()
}
