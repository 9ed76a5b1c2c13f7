import ReelJournal
import ReelViews

/// Everything an engine needs to know, with a documented default for every value: `ReelConfiguration()` is a
/// working single-node setup on `./reel-data`. Nested per subsystem; load it from a JSON file and `REEL_*`
/// environment variables with ``ReelConfiguration/load(file:environment:)``.
///
/// Every key, its default and meaning is listed in ``ReelConfiguration/fields`` (and by `reel config print`).
public struct ReelConfiguration: Sendable, Hashable {
    /// The data directory: journal, snapshots, key store, views and blobs live under it, and one engine at a
    /// time locks it.
    public var dataDirectory = "./reel-data"
    public var journal = JournalSettings()
    public var snapshots = SnapshotSettings()
    public var actors = ActorSettings()
    public var views = ViewSettings()
    public var media = MediaSettings()
    public var recommender = RecommenderSettings()
    public var server = ServerSettings()

    public init(dataDirectory: String = "./reel-data") { self.dataDirectory = dataDirectory }

    public struct JournalSettings: Sendable, Hashable {
        /// Bytes after which a segment is sealed and a new one started.
        public var segmentSizeBytes = 16 << 20
        /// 0: every acknowledged append is on disk (fdatasync). Above 0: appends are acknowledged after `write`
        /// and synced at this interval; a power failure may lose that much.
        public var syncIntervalMillis = 0
        /// zstd level for batches (0 stores them uncompressed).
        public var compressionLevel = 1
        /// Events per batch (the unit of compression, checksum and hash chain).
        public var maxBatchEvents = 256
        /// Bytes of decompressed frames kept for stream reads (entity activations, audits); 0 turns it off.
        public var frameCacheBytes = 32 << 20
        /// Served feeds older than this many days are compacted into summaries (items keep video, source and
        /// score; features are dropped), in sealed segments only. 0 keeps every feed whole for ever. A trade of
        /// audit depth for bounded growth: see `Docs/Decisions/0006-journal-retention-by-compaction.md`.
        public var feedRetentionDays = 90
        /// Start even though a secret store is missing while the data needs it: `keys.sqlite` (every person's
        /// sealed data then reads as erased) or the server's `accounts.sqlite` (nobody can log in). Off: such a
        /// start is refused with what to restore.
        public var allowMissingSecretStores = false
        public init() {}
    }

    public struct SnapshotSettings: Sendable, Hashable {
        /// An entity is snapshotted after this many events since its previous snapshot, and on passivation.
        public var everyEvents = 100
        /// Streams with fewer events than this are activated from their events alone (no snapshot lookup,
        /// and none saved on passivation): reading a few events costs less than an SQLite lookup.
        public var minimumEvents = 4
        public init() {}
    }

    public struct ActorSettings: Sendable, Hashable {
        /// An entity not used for this long is passivated (snapshotted and dropped from memory).
        public var idleTimeoutSeconds = 300
        /// Least recently used entities are passivated above this many resident ones (per entity kind)...
        public var maxResidentEntities = 1_000_000
        /// ... or above this many bytes of state (per entity kind).
        public var maxResidentBytes = 1 << 30
        /// How often idle and over-budget entities are looked for.
        public var maintenanceIntervalSeconds = 5
        public init() {}
    }

    public struct ViewSettings: Sendable, Hashable {
        /// Views are checkpointed after this many events...
        public var checkpointEvents = 25_000
        /// ... or this long after the previous checkpoint.
        public var checkpointIntervalSeconds = 5
        /// A checkpoint writes every row when the rows written since the last such one exceed this multiple of
        /// the state (`ViewStore`): higher is a faster rebuild and a smaller store, lower is faster time travel.
        public var completeCheckpointFactor = ViewStore.defaultCompleteFactor
        /// Commands that change what other commands check (registration, publishing) wait at most this long for
        /// the views to include them, so the next command sees them (read your writes).
        public var readYourWritesTimeoutMillis = 2_000
        public init() {}
    }

    public struct MediaSettings: Sendable, Hashable {
        /// The largest upload accepted.
        public var maxUploadBytes = 512 << 20
        /// The longest video accepted.
        public var maxDurationSeconds = 600
        /// Transcoding jobs run at once (each ffmpeg already uses every core).
        public var concurrency = 1
        /// Tries per job before a transient failure (timeout, full disk) becomes `video.processingFailed`.
        public var maxAttempts = 4
        /// The first retry waits this long; each further one twice as long.
        public var retryBackoffSeconds = 5
        /// A tool run (probe or transcode) is killed after this long.
        public var toolTimeoutSeconds = 600
        /// Chunk size of resumable uploads.
        public var uploadChunkBytes = 8 << 20
        /// Bytes of uploads one user may keep (neither refused nor removed); a larger total is refused.
        public var maxStoredBytesPerUser = 10 << 30
        /// Moderation: comma-separated hashtags (without '#') and caption words that get an upload rejected.
        public var blockedHashtags = ""
        public var blockedWords = ""
        public init() {}
    }

    public struct RecommenderSettings: Sendable, Hashable {
        /// Items in a feed page when the caller does not say.
        public var defaultPageSize = 10
        /// The most items one feed request may ask for.
        public var maxPageSize = 50
        /// Which chooser serves the For You feed: "pipeline" (candidate sources, learned ranker, re-rank),
        /// "interest" (the first fixed-weight scorer, kept for comparison) or "trending" (the fallback alone).
        public var ranker = "pipeline"
        /// Checkpoint the recommender model after this many events...
        public var checkpointEvents = 500_000
        /// ... or this long after the last checkpoint.
        public var checkpointIntervalSeconds = 120
        /// What a completion, like, share and follow are worth in seconds of watch time (the ranker orders by
        /// predicted watch seconds plus these times the predicted probabilities), comma-separated.
        public var taskWeights = "2,10,20,30"
        /// `taskWeights` as numbers (validated when the configuration loads).
        public var parsedTaskWeights: [Double] { taskWeights.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
        /// Of every this many feed items, one is an exploration slot for a new video (0: none).
        public var exploreEvery = 3
        /// What showing a main hashtag again within five items costs a candidate, in the ranker's seconds.
        public var hashtagRepeatSeconds = 500
        /// The ranker multiplies each video's worth by the learned odds that the viewer engages with it at all,
        /// raised to this / 100 (decision 0020).
        public var learnedWeightPercent = 100
        /// ... once the feed has served many more than `learnedWeightWarmupItems` items (the weight moves from the
        /// first to this as exp(−served / warm-up)).
        public var learnedWeightServedPercent = 30
        public var learnedWeightWarmupItems = 1_000
        /// When ranking takes longer than this, the page is served by the trending fallback, marked as such.
        public var timeBudgetMillis = 250
        public init() {}
    }

    public struct ServerSettings: Sendable, Hashable {
        /// The address a host's HTTP server binds.
        public var host = "127.0.0.1"
        public var port = 8080
        /// Engagement posts per second one user may send (a token bucket with twice this burst).
        public var engageRatePerSecond = 50
        /// Upload chunks per second one user may send.
        public var uploadChunksPerSecond = 20
        /// Sign-ups per minute from one client address (and that many at once).
        public var signUpsPerMinute = 20
        /// Serve `/metrics` without the admin token (for a scraper on a trusted network).
        public var publicMetrics = false
        /// The bearer token of the audit API; empty: generated at first start into `<data-dir>/admin.token`.
        public var adminToken = ""
        /// Hours a login token stays valid.
        public var tokenLifetimeHours = 168
        /// Seconds a connection may stay idle (no request arriving) before the server closes it.
        public var idleConnectionSeconds = 60
        /// Comma-separated words and phrases no comment may contain (`CommentFilter`); creators add their own.
        public var blockedCommentWords = ""
        public init() {}
    }

    /// The journal configuration these settings describe, for the journal in `directory`.
    func journalConfiguration(directory: String, cipher: (any PersonalDataCipher)?, clock: any JournalClock = SystemClock()) -> JournalConfiguration {
        var c = JournalConfiguration(directory: directory)
        c.clock = clock
        c.segmentSize = journal.segmentSizeBytes
        c.durability = journal.syncIntervalMillis == 0 ? .syncEachCommit : .syncInterval(milliseconds: journal.syncIntervalMillis)
        c.compressionLevel = Int32(journal.compressionLevel)
        c.maxBatchEvents = journal.maxBatchEvents
        c.frameCacheBytes = journal.frameCacheBytes
        c.cipher = cipher
        return c
    }
}
