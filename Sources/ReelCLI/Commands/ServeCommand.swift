import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Reel
import ReelServer
import ServiceLifecycle

/// `reel serve`: the engine, the media service and the HTTP API (and web client) in one process.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP server (API v1, media, web client) on a data directory.")
    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "A JSON configuration file (REEL_* environment variables override it).") var config: String?
    @Option(help: "The address to bind (default: server.host).") var host: String?
    @Option(help: "The port (default: server.port).") var port: Int?
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String = "info"
    @Flag(help: "On an empty data directory, generate and upload the demo catalogue first.") var demo = false
    @Option(help: "How many demo clips.") var demoCount = 30
    @Option(help: "The KuaiRand CSV the demo draws creators, sounds and hashtags from.") var demoCsv = "Data/kuairand-pure/video_features_basic_pure.csv"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown log level \(logLevel)") }
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "reel.server")
        // Before anything creates a metric: objects made earlier would keep the no-op backend.
        let metrics = ReelMetrics.bootstrap()
        var configuration = try await ReelConfiguration.load(file: config)
        configuration.dataDirectory = data.dataDir
        if let host { configuration.server.host = host }
        if let port { configuration.server.port = port }
        try FileManager.default.createDirectory(atPath: data.dataDir, withIntermediateDirectories: true)
        let server = try ReelServer(configuration: configuration, logger: logger)
        let seedDemo = demo && server.engine.status.journalPosition == 0
        let app = server.application(
            extraServices: seedDemo ? [DemoSeeder(server: server, csv: demoCsv, count: demoCount, logger: logger)] : [], metrics: metrics)
        let url = "http://\(configuration.server.host == "0.0.0.0" ? "127.0.0.1" : configuration.server.host):\(configuration.server.port)/"
        logger.notice("Reel is at \(url)  (log in as demo / demo-password; audit token in \(data.dataDir)/admin.token)")
        print("Open \(url)  — log in as demo / demo-password. Stop with Ctrl-C.")
        try await app.runService()
    }
}

/// Seeds the demo catalogue once the engine runs, then waits for shutdown like any service.
struct DemoSeeder: Service {
    let server: ReelServer
    let csv: String
    let count: Int
    let logger: Logger
    func run() async throws {
        while !server.engine.isReady { try await Task.sleep(for: .milliseconds(20)) }
        let dir = NSTemporaryDirectory() + "reel-demo-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try await DemoCatalogue.seed(server: server, count: count, csv: FileManager.default.fileExists(atPath: csv) ? csv : nil, directory: dir, logger: logger)
        } catch {
            logger.error("the demo catalogue could not be made: \(error)")  // the server keeps running without it
        }
        try? await gracefulShutdown()
    }
}
