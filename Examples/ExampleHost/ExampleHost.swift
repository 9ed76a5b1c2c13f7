import Hummingbird
import Logging
import Reel

/// The smallest useful host: an engine from the configuration (file in the first argument, `REEL_*`
/// environment variables over it), run next to an HTTP server that serves two routes.
@main struct ExampleHost {
    struct TrendingItem: ResponseCodable {
        var id: UInt64
        var caption: String
        var plays: UInt64
    }

    static func main() async throws {
        let logger = Logger(label: "example-host")
        let configuration = try await ReelConfiguration.load(file: CommandLine.arguments.dropFirst().first)
        let engine = try ReelEngine(configuration: configuration, logger: logger)

        let router = Router()
        // Ready once the views have caught up; load balancers should wait for 200.
        router.get("/health") { _, _ -> Response in
            Response(status: engine.isReady ? .ok : .serviceUnavailable)
        }
        router.get("/trending") { request, _ -> [TrendingItem] in
            let region = request.uri.queryParameters["region"].map(String.init) ?? ""
            return engine.trending(region: region, limit: 10).map { TrendingItem(id: $0.id, caption: $0.caption, plays: $0.counters.plays) }
        }

        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.server.host, port: configuration.server.port)),
            services: [engine],
            logger: logger)
        // Stops on SIGTERM/SIGINT: the server first, then the engine drains, snapshots, checkpoints and closes.
        try await app.runService()
    }
}
