import ArgumentParser
import Reel

/// `reel config print`: the effective configuration (defaults, then the file, then `REEL_*` variables).
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show the effective configuration.", subcommands: [Print.self, Keys.self])

    struct Print: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration as JSON (a valid configuration file).")
        @Option(help: "A JSON configuration file; REEL_* environment variables override it.") var config: String?

        func run() async throws {
            do {
                print(try await ReelConfiguration.load(file: config).json)
            } catch {
                throw CLIError(error.description)
            }
        }
    }

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every key with its environment variable, default and meaning.")
        func run() {
            let defaults = ReelConfiguration()
            for f in ReelConfiguration.fields {
                print("\(f.key)  (\(ReelConfiguration.environmentName(of: f.key)), default \(f.value(in: defaults)))\n    \(f.help)")
            }
        }
    }
}
