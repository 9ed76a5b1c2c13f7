import ReelJournal
import ReelRuntime

/// Every domain event, as one value: what entities decide and fold, and what views consume (decoded once per
/// event, then applied to every view). `PersonalProfile` is nil when the person was erased (or, for a profile
/// change, when the personal part did not change).
public enum ReelEvent: Sendable, Hashable {
    case userRegistered(UserRegistered, PersonalProfile?)
    case userProfileChanged(UserProfileChanged, PersonalProfile?)
    case userErased(UserErased)
    case followed(CreatorFollowed)
    case unfollowed(CreatorUnfollowed)
    case blocked(CreatorBlocked)
    case sessionStarted(SessionStarted)
    case sessionEnded(SessionEnded)
    case feedServed(FeedServed)
    case watched(VideoWatched)
    case skipped(VideoSkipped)
    case liked(VideoLiked)
    case unliked(VideoUnliked)
    case shared(VideoShared)
    case saved(VideoSaved)
    case commented(CommentPosted)
    case commentDeleted(CommentDeleted)
    case notInterested(NotInterested)
    case uploadStarted(UploadStarted)
    case uploadCompleted(UploadCompleted)
    case processingSucceeded(ProcessingSucceeded)
    case processingFailed(ProcessingFailed)
    case published(VideoPublished)
    case rejected(VideoRejected)
    case removed(VideoRemoved)
    case creatorProfileUpdated(CreatorProfileUpdated)
    case reported(ContentReported)
    case held(ContentHeld)
    case moderationDecided(ModerationDecided)
    case restored(VideoRestored)
    case commentFilterSet(CreatorCommentFilterSet)

    /// The payload as its `DomainEvent`.
    public var payload: any DomainEvent {
        switch self {
        case .userRegistered(let e, _): e
        case .userProfileChanged(let e, _): e
        case .userErased(let e): e
        case .followed(let e): e
        case .unfollowed(let e): e
        case .blocked(let e): e
        case .sessionStarted(let e): e
        case .sessionEnded(let e): e
        case .feedServed(let e): e
        case .watched(let e): e
        case .skipped(let e): e
        case .liked(let e): e
        case .unliked(let e): e
        case .shared(let e): e
        case .saved(let e): e
        case .commented(let e): e
        case .commentDeleted(let e): e
        case .notInterested(let e): e
        case .uploadStarted(let e): e
        case .uploadCompleted(let e): e
        case .processingSucceeded(let e): e
        case .processingFailed(let e): e
        case .published(let e): e
        case .rejected(let e): e
        case .removed(let e): e
        case .creatorProfileUpdated(let e): e
        case .reported(let e): e
        case .held(let e): e
        case .moderationDecided(let e): e
        case .restored(let e): e
        case .commentFilterSet(let e): e
        }
    }

    /// When it happened, by the client's or the importer's clock.
    public var occurredAt: Timestamp { payload.occurredAt }
}

extension ReelEvent: EntityEvent {
    /// Personal text travels sealed under its person's key (`SealedFields`): the payload keeps its layout with
    /// those fields empty.
    public func newEvent(metadata: EventMetadata) -> NewEvent {
        func sealed<E: DomainEvent>(_ e: E, _ subject: UInt64, _ strings: [String]) -> NewEvent {
            e.newEvent(metadata: metadata, personal: PersonalData(subject: subject, bytes: SealedFields.encode(strings)))
        }
        switch self {
        case .userRegistered(var e, let profile):
            let strings = [e.handle] + (profile.map { [$0.email, $0.displayName] } ?? [])
            e.handle = ""
            return sealed(e, e.user, strings)
        case .userProfileChanged(var e, let profile):
            let strings = [e.handle] + (profile.map { [$0.email, $0.displayName] } ?? [])
            e.handle = ""
            return sealed(e, e.user, strings)
        case .commented(var e):
            let text = e.text
            e.text = ""
            return sealed(e, e.viewer, [text])
        case .uploadCompleted(var e):
            let caption = e.caption
            e.caption = ""
            return sealed(e, e.creator, [caption])
        case .creatorProfileUpdated(var e):
            let strings = [e.name, e.bio]
            (e.name, e.bio) = ("", "")
            return sealed(e, e.creator, strings)
        case .commentFilterSet(var e):
            let words = e.words.joined(separator: "\n")
            e.words = []
            return sealed(e, e.creator, [words])
        default:
            return payload.newEvent(metadata: metadata)
        }
    }

    public static func decode(_ recorded: RecordedEvent) throws(JournalError) -> ReelEvent? {
        guard let i = typeIndex[recorded.type] else { return nil }
        return try decode(index: i, recorded)
    }

    private static func profile(_ r: RecordedEvent) throws(JournalError) -> PersonalProfile? {
        guard let bytes = r.personal?.plainBytes else { return nil }
        return try PersonalProfile.decode(bytes)
    }

    private static func payload<E: DomainEvent>(_: E.Type, _ r: RecordedEvent) throws(JournalError) -> E {
        guard r.version == E.version else {
            throw JournalError(.unsupportedVersion, "\(E.type) version \(r.version) has no upcaster to version \(E.version)")
        }
        return try E.decode(r.payload)
    }

    private static let typeIndex: [String: Int] = Dictionary(uniqueKeysWithValues: types.enumerated().map { ($1.type, $0) })

    private static func decode(index: Int, _ r: RecordedEvent) throws(JournalError) -> ReelEvent? {
        switch index {
        case 0:
            var e = try payload(UserRegistered.self, r)
            // Version 1 kept the handle in the payload (and sealed only email and display name).
            guard e.handle.isEmpty else { return .userRegistered(e, try profile(r)) }
            let s = try SealedFields.strings(r) ?? []
            e.handle = s.first ?? ""
            return .userRegistered(e, s.count >= 3 ? PersonalProfile(email: s[1], displayName: s[2]) : nil)
        case 1:
            var e = try payload(UserProfileChanged.self, r)
            guard e.handle.isEmpty else { return .userProfileChanged(e, try profile(r)) }
            let s = try SealedFields.strings(r) ?? []
            e.handle = s.first ?? ""
            return .userProfileChanged(e, s.count >= 3 ? PersonalProfile(email: s[1], displayName: s[2]) : nil)
        case 2: return .userErased(try payload(UserErased.self, r))
        case 3: return .followed(try payload(CreatorFollowed.self, r))
        case 4: return .unfollowed(try payload(CreatorUnfollowed.self, r))
        case 5: return .blocked(try payload(CreatorBlocked.self, r))
        case 6: return .sessionStarted(try payload(SessionStarted.self, r))
        case 7: return .sessionEnded(try payload(SessionEnded.self, r))
        case 8: return .feedServed(try payload(FeedServed.self, r))
        case 9: return .watched(try payload(VideoWatched.self, r))
        case 10: return .skipped(try payload(VideoSkipped.self, r))
        case 11: return .liked(try payload(VideoLiked.self, r))
        case 12: return .unliked(try payload(VideoUnliked.self, r))
        case 13: return .shared(try payload(VideoShared.self, r))
        case 14: return .saved(try payload(VideoSaved.self, r))
        case 15:
            var e = try payload(CommentPosted.self, r)
            if let s = try SealedFields.strings(r) { e.text = s.first ?? "" }
            return .commented(e)
        case 16: return .commentDeleted(try payload(CommentDeleted.self, r))
        case 17: return .notInterested(try payload(NotInterested.self, r))
        case 18: return .uploadStarted(try payload(UploadStarted.self, r))
        case 19:
            var e = try payload(UploadCompleted.self, r)
            if let s = try SealedFields.strings(r) { e.caption = s.first ?? "" }
            return .uploadCompleted(e)
        case 20: return .processingSucceeded(try payload(ProcessingSucceeded.self, r))
        case 21: return .processingFailed(try payload(ProcessingFailed.self, r))
        case 22: return .published(try payload(VideoPublished.self, r))
        case 23: return .rejected(try payload(VideoRejected.self, r))
        case 24: return .removed(try payload(VideoRemoved.self, r))
        case 25:
            var e = try payload(CreatorProfileUpdated.self, r)
            if let s = try SealedFields.strings(r) { (e.name, e.bio) = (s.first ?? "", s.count > 1 ? s[1] : "") }
            return .creatorProfileUpdated(e)
        case 26: return .reported(try payload(ContentReported.self, r))
        case 27: return .held(try payload(ContentHeld.self, r))
        case 28: return .moderationDecided(try payload(ModerationDecided.self, r))
        case 29: return .restored(try payload(VideoRestored.self, r))
        case 30:
            var e = try payload(CreatorCommentFilterSet.self, r)
            if let s = try SealedFields.strings(r) { e.words = s.first.map { $0.split(separator: "\n").map(String.init) } ?? [] }
            return .commentFilterSet(e)
        default: return nil
        }
    }

    /// Every event type, for the catalogue and dumps.
    public static let types: [any DomainEvent.Type] = [
        UserRegistered.self, UserProfileChanged.self, UserErased.self, CreatorFollowed.self, CreatorUnfollowed.self, CreatorBlocked.self, SessionStarted.self, SessionEnded.self, FeedServed.self, VideoWatched.self, VideoSkipped.self, VideoLiked.self, VideoUnliked.self, VideoShared.self, VideoSaved.self, CommentPosted.self, CommentDeleted.self, NotInterested.self, UploadStarted.self, UploadCompleted.self, ProcessingSucceeded.self, ProcessingFailed.self, VideoPublished.self, VideoRejected.self, VideoRemoved.self, CreatorProfileUpdated.self,
        ContentReported.self, ContentHeld.self, ModerationDecided.self, VideoRestored.self, CreatorCommentFilterSet.self,
    ]
}
