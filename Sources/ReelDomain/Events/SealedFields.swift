import ReelJournal

/// The personal text of an event, sealed under one person's key (issue 24: everything a person wrote or is
/// identified by is personal data).
///
/// Since version 2 of `user.registered`, `user.profileChanged`, `comment.posted`, `video.uploadCompleted` and
/// `creator.profileUpdated`, the event's text fields (handle, email, display name, comment text, caption, a
/// creator's name and bio) travel in the event's personal data as a list of strings, and the payload keeps the
/// same layout with those fields empty. Erasing the person deletes the key, so the list becomes unreadable and
/// the fields decode as empty at every moment of time travel. Version 1 payloads (text in the payload, only
/// email and display name sealed, as `PersonalProfile`) still read: the layouts are the same, so the upcasters
/// are identities and the decoder tells the two apart by where the text is.
public enum SealedFields {
    /// The events whose personal text is sealed, with the person it belongs to and the names of its fields.
    static let upcasters: [Upcaster] = [
        UserRegistered.type, UserProfileChanged.type, CommentPosted.type, UploadCompleted.type, CreatorProfileUpdated.type,
    ].map { type in Upcaster(type: type, fromVersion: 1) { $0 } }

    public static func encode(_ strings: [String]) -> [UInt8] {
        var w = ByteWriter()
        w.writeVarint(UInt64(strings.count))
        for s in strings { w.writeString(s) }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(JournalError) -> [String] {
        try bytes.withBytes { (raw) throws(JournalError) in
            var r = ByteReader(raw)
            let n = try r.readVarint()
            guard n <= 8 else { throw JournalError(.malformed, "sealed fields: \(n) strings, at most 8") }
            var out: [String] = []
            for _ in 0..<n { out.append(try r.readString()) }
            guard r.isAtEnd else { throw JournalError(.malformed, "sealed fields: \(r.remaining) stray bytes") }
            return out
        }
    }

    /// The field names of each sealed event's list, in order (for dumps).
    static func names(of type: String, count: Int) -> [String] {
        switch type {
        case UserRegistered.type, UserProfileChanged.type: ["handle", "email", "displayName"]
        case CommentPosted.type: ["text"]
        case UploadCompleted.type: ["caption"]
        case CreatorProfileUpdated.type: ["name", "bio"]
        case CreatorCommentFilterSet.type: ["words"]
        default: (0..<count).map { "field\($0)" }
        }
    }

    /// The sealed list of a version-2 event as readable now: the strings, `[]` when the person was erased,
    /// or nil when the event carries none (version 1).
    static func strings(_ r: RecordedEvent) throws(JournalError) -> [String]? {
        switch r.personal {
        case .none: return nil
        case .plain(let p): return try decode(p.bytes)
        case .sealed, .erased: return []
        }
    }
}
