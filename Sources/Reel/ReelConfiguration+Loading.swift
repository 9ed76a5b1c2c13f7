import Configuration
import Foundation
import SystemPackage

/// A configuration value that is missing its mark: wrong type, out of range, or an unreadable file.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The key at fault (`journal.segmentSizeBytes`), or the file.
    public var key: String
    public var message: String
    public var description: String { "configuration \(key): \(message)" }
}

extension ReelConfiguration {
    /// One configuration key: where it lives in the struct, its meaning, and the range it must be in.
    public struct Field: Sendable {
        /// `list`: comma-separated words, possibly none.
        public enum Kind: String, Sendable { case int, string, list, bool }
        public let key: String
        public let kind: Kind
        public let help: String
        let range: ClosedRange<Int>?
        let read: @Sendable (ReelConfiguration) -> String
        let write: @Sendable (inout ReelConfiguration, String) -> Void

        /// This key's value in a configuration.
        public func value(in configuration: ReelConfiguration) -> String { read(configuration) }

        static func int(
            _ key: String, _ path: WritableKeyPath<ReelConfiguration, Int> & Sendable, _ range: ClosedRange<Int>, _ help: String
        ) -> Field {
            Field(key: key, kind: .int, help: help, range: range, read: { String($0[keyPath: path]) },
                  write: { $0[keyPath: path] = Int($1)! })
        }
        static func list(_ key: String, _ path: WritableKeyPath<ReelConfiguration, String> & Sendable, _ help: String) -> Field {
            Field(key: key, kind: .list, help: help, range: nil, read: { $0[keyPath: path] }, write: { $0[keyPath: path] = $1 })
        }
        static func bool(_ key: String, _ path: WritableKeyPath<ReelConfiguration, Bool> & Sendable, _ help: String) -> Field {
            Field(key: key, kind: .bool, help: help, range: nil, read: { $0[keyPath: path] ? "true" : "false" },
                  write: { $0[keyPath: path] = $1 == "true" })
        }
        static func string(_ key: String, _ path: WritableKeyPath<ReelConfiguration, String> & Sendable, _ help: String) -> Field {
            Field(key: key, kind: .string, help: help, range: nil, read: { $0[keyPath: path] }, write: { $0[keyPath: path] = $1 })
        }
    }

    /// Every key, in the order `reel config print` shows them. Environment variables are the key upper-cased
    /// with `REEL_` in front and `_` between words: `journal.segmentSizeBytes` is `REEL_JOURNAL_SEGMENT_SIZE_BYTES`.
    public static let fields: [Field] = [
        .string("dataDirectory", \.dataDirectory, "The data directory (journal, snapshots, keys, views, blobs)."),
        .int("journal.segmentSizeBytes", \.journal.segmentSizeBytes, (1 << 16)...(1 << 30), "Seal a segment at this size."),
        .int("journal.syncIntervalMillis", \.journal.syncIntervalMillis, 0...10_000,
             "0: sync every commit before acknowledging; above 0: sync in the background at this interval."),
        .int("journal.compressionLevel", \.journal.compressionLevel, 0...19, "zstd level for batches (0: none)."),
        .int("journal.maxBatchEvents", \.journal.maxBatchEvents, 1...65_536, "Events per compressed batch."),
        .int("journal.frameCacheBytes", \.journal.frameCacheBytes, 0...(1 << 40), "Decompressed frames kept for stream reads (0: none)."),
        .int("journal.feedRetentionDays", \.journal.feedRetentionDays, 0...36_500,
             "Compact served feeds older than this into summaries (0: never)."),
        .bool("journal.allowMissingSecretStores", \.journal.allowMissingSecretStores,
              "Start although keys.sqlite or accounts.sqlite is missing while the data needs it (their data is then lost)."),
        .int("snapshots.everyEvents", \.snapshots.everyEvents, 1...1_000_000, "Snapshot an entity after this many events."),
        .int("snapshots.minimumEvents", \.snapshots.minimumEvents, 1...1_000_000, "Streams shorter than this are activated without snapshots."),
        .int("actors.idleTimeoutSeconds", \.actors.idleTimeoutSeconds, 1...86_400 * 7, "Passivate entities idle this long."),
        .int("actors.maxResidentEntities", \.actors.maxResidentEntities, 1...1_000_000_000, "Resident entities per kind."),
        .int("actors.maxResidentBytes", \.actors.maxResidentBytes, (1 << 16)...Int.max, "Resident state bytes per kind."),
        .int("actors.maintenanceIntervalSeconds", \.actors.maintenanceIntervalSeconds, 1...3_600, "How often to passivate."),
        .int("views.checkpointEvents", \.views.checkpointEvents, 1...100_000_000, "Checkpoint views after this many events."),
        .int("views.checkpointIntervalSeconds", \.views.checkpointIntervalSeconds, 1...3_600, "... or after this long."),
        .int("views.completeCheckpointFactor", \.views.completeCheckpointFactor, 1...64,
             "Write every row when the rows since the last complete checkpoint exceed this multiple of the state."),
        .int("views.readYourWritesTimeoutMillis", \.views.readYourWritesTimeoutMillis, 0...60_000,
             "How long catalogue-changing commands wait for views to include them."),
        .int("media.maxUploadBytes", \.media.maxUploadBytes, 1...(1 << 40), "The largest upload accepted."),
        .int("media.maxDurationSeconds", \.media.maxDurationSeconds, 1...3_600, "The longest video accepted."),
        .int("media.concurrency", \.media.concurrency, 1...64, "Transcoding jobs run at once."),
        .int("media.maxAttempts", \.media.maxAttempts, 1...100, "Tries per media job before a transient failure is final."),
        .int("media.retryBackoffSeconds", \.media.retryBackoffSeconds, 0...3_600, "First retry delay (doubles each time)."),
        .int("media.toolTimeoutSeconds", \.media.toolTimeoutSeconds, 1...86_400, "Kill ffmpeg/ffprobe after this long."),
        .int("media.uploadChunkBytes", \.media.uploadChunkBytes, (1 << 16)...(1 << 30), "Chunk size of resumable uploads."),
        .int("media.maxStoredBytesPerUser", \.media.maxStoredBytesPerUser, 1...(1 << 50), "Bytes of uploads one user may keep (not refused or removed)."),
        .list("media.blockedHashtags", \.media.blockedHashtags, "Moderation: comma-separated hashtags that get an upload rejected."),
        .list("media.blockedWords", \.media.blockedWords, "Moderation: comma-separated caption words that get an upload rejected."),
        .int("recommender.defaultPageSize", \.recommender.defaultPageSize, 1...100, "Feed items when not asked."),
        .int("recommender.maxPageSize", \.recommender.maxPageSize, 1...500, "The most feed items per request."),
        .int("recommender.timeBudgetMillis", \.recommender.timeBudgetMillis, 1...60_000, "Ranking longer than this falls back to trending."),
        .string("recommender.ranker", \.recommender.ranker, "The For You chooser: pipeline (the recommender), interest (first fixed-weight scorer) or trending (fallback only)."),
        .int("recommender.checkpointEvents", \.recommender.checkpointEvents, 1_000...100_000_000, "Checkpoint the recommender model after this many events."),
        .int("recommender.checkpointIntervalSeconds", \.recommender.checkpointIntervalSeconds, 1...86_400, "... or after this long."),
        .string("recommender.taskWeights", \.recommender.taskWeights, "Ranker weights of the completion, like, share and follow probabilities, comma-separated."),
        .int("recommender.exploreEvery", \.recommender.exploreEvery, 0...100, "One exploration slot in every this many feed items (0: none)."),
        .int("recommender.hashtagRepeatSeconds", \.recommender.hashtagRepeatSeconds, 0...100_000, "What a main hashtag repeated within five items costs a candidate, in the ranker's seconds (0: nothing)."),
        .int("recommender.learnedWeightPercent", \.recommender.learnedWeightPercent, 0...1_000, "How strongly the learned collaborative affinity's odds weigh in the ranker before the feed has served anything (a model of imported choices), in percent (100: as learned; 0: the heads alone)."),
        .int("recommender.learnedWeightServedPercent", \.recommender.learnedWeightServedPercent, 0...1_000, "The same once the feed has served far more than the warm-up (served pages' skips teach the heads what is chosen)."),
        .int("recommender.learnedWeightWarmupItems", \.recommender.learnedWeightWarmupItems, 0...1_000_000_000, "Served feed items over which the learned weight moves from the first value to the second, as exp(-served / this) (0: the second at once)."),
        .string("server.host", \.server.host, "The address the HTTP server binds."),
        .int("server.port", \.server.port, 0...65_535, "The HTTP port."),
        .int("server.engageRatePerSecond", \.server.engageRatePerSecond, 1...1_000_000, "Engagement posts per second per user."),
        .int("server.uploadChunksPerSecond", \.server.uploadChunksPerSecond, 1...100_000, "Upload chunks per second per user."),
        .int("server.signUpsPerMinute", \.server.signUpsPerMinute, 1...1_000_000, "Sign-ups per minute from one client address (that many at once)."),
        .bool("server.publicMetrics", \.server.publicMetrics, "Serve /metrics without the admin token (for a scraper on a trusted network)."),
        .list("server.adminToken", \.server.adminToken, "Audit API bearer token (empty: generated into <data-dir>/admin.token)."),
        .int("server.tokenLifetimeHours", \.server.tokenLifetimeHours, 1...24 * 365, "Hours a login token stays valid."),
        .int("server.idleConnectionSeconds", \.server.idleConnectionSeconds, 1...86_400, "Close a connection idle (no request arriving) this long."),
        .list("server.blockedCommentWords", \.server.blockedCommentWords, "Moderation: comma-separated words and phrases no comment may contain."),
    ]

    /// Reads every key from `reader` (missing keys keep their defaults). A value of the wrong type or out of
    /// range is an error naming the key, never silently replaced by the default.
    public init(reader: ConfigReader) throws(ConfigurationError) {
        self.init()
        for field in Self.fields {
            let key = ConfigKey(field.key)
            if field.kind == .bool {
                if let b = reader.bool(forKey: key) {
                    field.write(&self, b ? "true" : "false")
                } else if let text = reader.string(forKey: key) {
                    switch text.lowercased() {
                    case "true", "1", "yes": field.write(&self, "true")
                    case "false", "0", "no": field.write(&self, "false")
                    default: throw ConfigurationError(key: field.key, message: "\"\(text)\" is not true or false")
                    }
                }
                continue
            }
            let text = reader.string(forKey: key) ?? reader.int(forKey: key).map(String.init)
            guard let text else {
                if reader.double(forKey: key) != nil || reader.bool(forKey: key) != nil {
                    throw ConfigurationError(key: field.key, message: "expected \(field.kind == .int ? "an integer" : "a string")")
                }
                continue
            }
            if field.kind == .int {
                guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigurationError(key: field.key, message: "\"\(text)\" is not an integer")
                }
                if let range = field.range, !range.contains(value) {
                    throw ConfigurationError(key: field.key, message: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
                }
                field.write(&self, String(value))
            } else {
                guard !text.isEmpty || field.kind == .list else { throw ConfigurationError(key: field.key, message: "must not be empty") }
                field.write(&self, text)
            }
        }
        let weights = recommender.parsedTaskWeights
        guard weights.count == 4, weights.allSatisfy({ $0 >= 0 && $0.isFinite }), recommender.taskWeights.split(separator: ",").count == 4 else {
            throw ConfigurationError(key: "recommender.taskWeights", message: "\"\(recommender.taskWeights)\" is not four non-negative numbers (completion,like,share,follow)")
        }
        guard ["pipeline", "interest", "trending"].contains(recommender.ranker) else {
            throw ConfigurationError(key: "recommender.ranker", message: "\"\(recommender.ranker)\" is not pipeline, interest or trending")
        }
        if recommender.defaultPageSize > recommender.maxPageSize {
            throw ConfigurationError(key: "recommender.defaultPageSize", message: "is above recommender.maxPageSize (\(recommender.maxPageSize))")
        }
    }

    /// The effective configuration: environment variables (`REEL_*`) over the JSON `file` (if given) over the
    /// defaults. A missing file is an error; so is a key of the wrong type or out of range.
    public static func load(file: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment)
        async throws(ConfigurationError) -> ReelConfiguration
    {
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "reel")]
        if let file {
            guard FileManager.default.fileExists(atPath: file) else {
                throw ConfigurationError(key: file, message: "no such configuration file")
            }
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
            } catch {
                throw ConfigurationError(key: file, message: "not a valid JSON configuration file (\(error))")
            }
        }
        return try ReelConfiguration(reader: ConfigReader(providers: providers))
    }

    /// Every key with its effective value, as JSON nested by subsystem (a valid configuration file).
    public var json: String {
        var groups: [String: [(String, String)]] = [:]
        var top: [(String, String)] = []
        for f in Self.fields {
            let value = f.kind == .int ? f.read(self) : Self.quoted(f.read(self))
            let parts = f.key.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 2 { groups[parts[0], default: []].append((parts[1], value)) } else { top.append((f.key, value)) }
        }
        var lines = top.map { "  \(Self.quoted($0.0)): \($0.1)" }
        var order: [String] = []
        for f in Self.fields where f.key.contains(".") {
            let g = String(f.key.split(separator: ".")[0])
            if !order.contains(g) { order.append(g) }
        }
        for g in order {
            let inner = groups[g]!.map { "    \(Self.quoted($0.0)): \($0.1)" }.joined(separator: ",\n")
            lines.append("  \(Self.quoted(g)): {\n\(inner)\n  }")
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n}"
    }

    /// The environment variable that sets a key.
    public static func environmentName(of key: String) -> String {
        var out = "REEL"
        for part in key.split(separator: ".") {
            out += "_"
            var previousLower = false
            for c in part {
                if c.isUppercase && previousLower { out += "_" }
                out += c.uppercased()
                previousLower = c.isLowercase
            }
        }
        return out
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
