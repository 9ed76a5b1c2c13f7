import ReelJournal

/// The ids a recorded event is about, read from the leading fields of its payload without decoding the rest.
///
/// For replays that keep only the events about one key (per-key time travel): a served feed is the journal's
/// bulkiest event and most are about someone else, so reading two varints instead of every item and feature
/// name is most of the saving. Only the high-volume types are covered; for any other type (or an older
/// version) the answer is nil and the caller decodes the event. A test checks every covered type against a
/// full decode.
public enum EventPeek {
    public struct Subjects: Equatable, Sendable {
        public var person: UInt64
        public var video: UInt64?
        public var session: UInt64
    }

    public static func subjects(_ recorded: RecordedEvent) -> Subjects? {
        switch recorded.type {
        case VideoWatched.type where recorded.version == VideoWatched.version: return viewerVideoSession(recorded.payload)
        case VideoSkipped.type where recorded.version == VideoSkipped.version: return viewerVideoSession(recorded.payload)
        case FeedServed.type where recorded.version == FeedServed.version:
            // Payload order: session, viewer, ...
            return recorded.payload.withUnsafeBytes { raw in
                var r = ByteReader(raw)
                guard let session = try? r.readVarint(), let viewer = try? r.readVarint() else { return nil }
                return Subjects(person: viewer, video: nil, session: session)
            }
        default: return nil
        }
    }

    /// Payload order of watched and skipped: viewer, video, session, ...
    private static func viewerVideoSession(_ payload: [UInt8]) -> Subjects? {
        payload.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            guard let viewer = try? r.readVarint(), let video = try? r.readVarint(), let session = try? r.readVarint() else { return nil }
            return Subjects(person: viewer, video: video, session: session)
        }
    }
}
