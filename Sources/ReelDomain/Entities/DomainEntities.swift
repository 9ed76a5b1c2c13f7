import ReelJournal
import ReelRuntime

/// The entity types by stream kind, for tools that are handed a stream id.
public enum DomainEntities {
    public static func dispatch<T>(kind: UInt16, render: (any EventSourcedEntity.Type) throws -> T) throws -> T {
        switch kind {
        case StreamKind.user: try render(UserEntity.self)
        case StreamKind.session: try render(SessionEntity.self)
        case StreamKind.video: try render(VideoEntity.self)
        case StreamKind.creator: try render(CreatorEntity.self)
        case StreamKind.moderation: try render(ModerationCaseEntity.self)
        default: throw JournalError(.invalidArgument, "stream kind \(kind) is not an entity (user 1, session 2, video 3, creator 4, moderation 5)")
        }
    }
}

extension EventCatalog {
    /// Upcasts a recorded event to the current version of its type (for entity and view folds).
    public static let upcast: @Sendable (inout RecordedEvent) throws(JournalError) -> Void = { (e) throws(JournalError) in
        try upcasters.upcast(&e)
    }
}
