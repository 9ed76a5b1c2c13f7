import ArgumentParser
import Foundation
import Reel
import ReelWorkloads

/// `reel import videos|interactions FILE.csv`: through the engine, idempotent, with progress.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import videos or interactions from CSV through the engine (importing twice adds nothing).",
        subcommands: [Videos.self, Interactions.self])

    struct Options: ParsableArguments {
        @OptionGroup var data: DataDirectoryOptions
        @Flag(help: "Skip and count bad rows instead of stopping at the first.") var skipBadRows = false
        @Option(help: "A JSON configuration file (REEL_* environment variables override it).") var config: String?
    }

    struct Videos: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Columns video_id, creator_id, duration_ms, tags, sound_id, caption, uploaded_at (ISO-8601 or Unix seconds); ids may be any strings.")
        @OptionGroup var options: Options
        @Argument(help: "The CSV file.") var file: String
        func run() async throws { try await ImportCommand.run(options) { try await $0.importVideos(file) } }
    }

    struct Interactions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Columns user_id, video_id, timestamp and optional watch_ratio, liked, shared, followed.")
        @OptionGroup var options: Options
        @Argument(help: "The CSV file.") var file: String
        func run() async throws { try await ImportCommand.run(options) { try await $0.importInteractions(file) } }
    }

    static func run(_ options: Options, _ body: (Importer) async throws -> Importer.Report) async throws {
        var configuration = try await ReelConfiguration.load(file: options.config)
        configuration.dataDirectory = options.data.dataDir
        configuration.journal.syncIntervalMillis = max(configuration.journal.syncIntervalMillis, 200)
        let engine: ReelEngine
        do { engine = try ReelEngine(configuration: configuration) } catch { throw CLIError(error.description) }
        let running = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
        var importer = Importer(engine: engine, skipBadRows: options.skipBadRows)
        importer.progress = { FileHandle.standardError.write(Data(("import: " + $0 + "\n").utf8)) }
        let outcome: Result<Importer.Report, any Error>
        do { outcome = .success(try await body(importer)) } catch { outcome = .failure(error) }
        await engine.shutdown()
        try await running.value
        let report = try outcome.mapError { CLIError("\($0)") as any Error }.get()
        print("rows \(report.rows): imported \(report.imported), already there \(report.unchanged), skipped \(report.skipped)")
        if report.mappedIDs > 0 { print("string ids mapped to engine ids: \(report.mappedIDs) new, kept in \(report.idFile)") }
        for line in report.firstSkipped { print("  skipped \(line)") }
    }
}
