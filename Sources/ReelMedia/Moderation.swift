import Reel

/// What moderation sees of a processed upload.
public struct ModerationCase: Sendable, Hashable {
    public var video: UInt64
    public var creator: UInt64
    public var caption: String
    public var hashtags: [String]
    public var frameHashes: [UInt64]
    /// The earlier video this one nearly duplicates (0 for none).
    public var duplicateOf: UInt64

    public init(video: UInt64, creator: UInt64, caption: String, hashtags: [String], frameHashes: [UInt64], duplicateOf: UInt64) {
        self.video = video
        self.creator = creator
        self.caption = caption
        self.hashtags = hashtags
        self.frameHashes = frameHashes
        self.duplicateOf = duplicateOf
    }
}

public enum ModerationVerdict: Sendable, Hashable {
    case allow
    /// Rejected; the reason is recorded in `video.rejected` and shown to the creator.
    case reject(reason: String)
}

/// The moderation hook: called once per processed upload, before publication. It must be a pure function
/// of the case (no clock, no randomness), so that an audit can repeat it.
public protocol ModerationPolicy: Sendable {
    func review(_ c: ModerationCase) -> ModerationVerdict
}

/// The default policy: blocklisted hashtags, blocklisted caption words, and known-bad perceptual hashes.
public struct BlocklistModeration: ModerationPolicy {
    public var hashtags: Set<String>
    public var words: Set<String>
    /// dHashes of frames known to be bad (a video is rejected when `minBadFrames` of its frames, or all of a
    /// shorter one, are within `maxDistance` bits of one of them).
    public var badFrameHashes: [UInt64]
    public var maxDistance = 8
    public var minBadFrames = 3

    public init(hashtags: Set<String> = [], words: Set<String> = [], badFrameHashes: [UInt64] = []) {
        self.hashtags = Set(hashtags.map { $0.lowercased() })
        self.words = Set(words.map { $0.lowercased() })
        self.badFrameHashes = badFrameHashes
    }

    /// From the configuration's comma-separated lists.
    public init(settings: ReelConfiguration.MediaSettings) {
        func list(_ s: String) -> Set<String> {
            Set(s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }.map { $0.hasPrefix("#") ? String($0.dropFirst()) : $0 })
        }
        self.init(hashtags: list(settings.blockedHashtags), words: list(settings.blockedWords))
    }

    public func review(_ c: ModerationCase) -> ModerationVerdict {
        if let tag = c.hashtags.first(where: hashtags.contains) { return .reject(reason: "the hashtag #\(tag) is not allowed") }
        let captionWords = c.caption.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "#" }.map { $0.hasPrefix("#") ? String($0.dropFirst()) : String($0) }
        if let word = captionWords.first(where: words.contains) { return .reject(reason: "the caption contains the blocked word \"\(word)\"") }
        if !badFrameHashes.isEmpty {
            let bad = c.frameHashes.filter { h in badFrameHashes.contains { PerceptualHash.distance(h, $0) <= maxDistance } }.count
            if bad > 0, bad >= min(minBadFrames, c.frameHashes.count) {
                return .reject(reason: "\(bad) frames match known-bad content")
            }
        }
        return .allow
    }
}
