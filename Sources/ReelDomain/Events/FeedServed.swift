import ReelJournal

/// A page of the For You (or Following) feed was served to a session, with everything the choice depended on,
/// so "why was this shown" is answered from recorded facts and a replay can check them bit for bit.
public struct FeedServed: DomainEvent {
    public static let type = "feed.served"
    public static let version: UInt16 = 1

    public var session: UInt64
    public var viewer: UInt64
    /// 0 for For You, 1 for Following.
    public var feed: UInt32
    /// The journal position the views had reached when the feed was computed.
    public var viewsPosition: UInt64
    /// The seed of every random choice made for this page.
    public var seed: UInt64
    public var modelVersion: UInt64
    /// The build (version string) of the code that served it.
    public var build: String
    public var items: [FeedItem]
    public var occurredAt: Timestamp

    public init(
        session: UInt64, viewer: UInt64, feed: UInt32, viewsPosition: UInt64, seed: UInt64, modelVersion: UInt64,
        build: String, items: [FeedItem], occurredAt: Timestamp
    ) {
        self.session = session
        self.viewer = viewer
        self.feed = feed
        self.viewsPosition = viewsPosition
        self.seed = seed
        self.modelVersion = modelVersion
        self.build = build
        self.items = items
        self.occurredAt = occurredAt
    }

    public func encodePayload(into w: inout ByteWriter) {
        w.put(session)
        w.put(viewer)
        w.put(feed)
        w.put(viewsPosition)
        w.put(seed)
        w.put(modelVersion)
        w.put(build)
        w.put(items)
        w.put(occurredAt)
    }

    public init(decoding r: inout ByteReader) throws(JournalError) {
        session = try r.get()
        viewer = try r.get()
        feed = try r.get()
        viewsPosition = try r.get()
        seed = try r.get()
        modelVersion = try r.get()
        build = try r.get()
        items = try r.get()
        occurredAt = try r.get()
    }
}

/// One served video: where the candidate came from, the features that mattered and the scores.
public struct FeedItem: MirroredFields, Hashable {
    public var video: UInt64
    /// The candidate source ("longTerm", "session", "trending", "following", "sameSound", "explore", "fallback"...).
    public var source: String
    /// The final score the order was decided by.
    public var score: Float
    /// Named features and per-task scores that mattered, in the order the ranker reported them.
    public var features: [NamedValue]

    public init(video: UInt64, source: String, score: Float, features: [NamedValue] = []) {
        self.video = video
        self.source = source
        self.score = score
        self.features = features
    }

    public static func read(from r: inout ByteReader) throws(JournalError) -> FeedItem {
        FeedItem(video: try r.get(), source: try r.get(), score: try r.get(), features: try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(video)
        w.put(source)
        w.put(score)
        w.put(features)
    }
}

/// A name and a number (a feature value or a task score).
public struct NamedValue: MirroredFields, Hashable {
    public var name: String
    public var value: Float
    public init(_ name: String, _ value: Float) {
        self.name = name
        self.value = value
    }
    public static func read(from r: inout ByteReader) throws(JournalError) -> NamedValue {
        NamedValue(try r.get(), try r.get())
    }
    public func write(to w: inout ByteWriter) {
        w.put(name)
        w.put(value)
    }
}

extension FeedServed {
    /// The payload of an old served feed compacted into a summary (journal retention): every item keeps its
    /// video, source and score, its features are dropped. Nil when `event` is not a served feed or is one
    /// already (so compaction is idempotent). What views fold from a feed (which videos were served) is kept,
    /// so views rebuilt after compaction are unchanged.
    public static func summarizedPayload(_ event: RecordedEvent) -> [UInt8]? {
        guard event.type == type, event.version == version else { return nil }
        let decoded = try? event.payload.withBytes { (raw) throws(JournalError) -> FeedServed in
            var r = ByteReader(raw)
            return try FeedServed(decoding: &r)
        }
        guard var feed = decoded, feed.items.contains(where: { !$0.features.isEmpty }) else { return nil }
        for i in feed.items.indices { feed.items[i].features = [] }
        var w = ByteWriter()
        feed.encodePayload(into: &w)
        return w.bytes
    }
}
