import ArgumentParser

@main
struct Reel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reel",
        abstract: "Reel: an event-sourced engine for short-video platforms.",
        subcommands: [JournalCommand.self, AuditCommand.self, BenchCommand.self, DemoCommand.self])
}
