import ArgumentParser
import Reel

@main
struct ReelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reel",
        abstract: "Reel: an event-sourced engine for short-video platforms.",
        version: ReelBuild.current,
        subcommands: [
            DemoCommand.self, ConfigCommand.self, BackupCommand.self, RestoreCommand.self, AuditCommand.self, JournalCommand.self,
            ImportCommand.self, SimulateCommand.self, EvalCommand.self, MediaCommand.self, ServeCommand.self, TokensCommand.self,
            ModerationCommand.self, BenchCommand.self,
        ])
}
