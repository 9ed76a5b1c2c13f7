import ReelDomain
import ReelJournal

extension OfflineEvaluation {
    /// Reads a journal into the time-ordered events evaluation replays and the catalogue's publication times.
    /// Ties keep journal order (the sort is stable), so a video imported before its first interaction is
    /// published before it at the same moment.
    public static func load(_ journal: Journal) throws -> (interactions: [Interaction], published: [UInt64: Int64]) {
        var out: [Interaction] = []
        var published: [UInt64: Int64] = [:]
        var cursor = journal.events(from: 0, to: journal.nextPosition)
        while let recorded = try cursor.next() {
            var r = recorded
            try EventCatalog.upcasters.upcast(&r)
            guard let event = try ReelEvent.decode(r) else { continue }
            if let step = interaction(event) {
                out.append(step)
            }
            if case .published(let p) = event { published[p.video] = p.occurredAt.milliseconds }
        }
        return (out.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element), published)
    }

    /// The evaluation's view of one event: engagements for every ranker, and what only the model learns from.
    static func interaction(_ event: ReelEvent) -> Interaction? {
        /// Only the model reads these: who and what stay in the event.
        func context(_ user: UInt64, _ video: UInt64, _ at: Timestamp) -> Interaction {
            var i = Interaction(user: user, video: video, time: at.milliseconds, completed: false, liked: false, watched: false)
            i.isEngagement = false
            i.event = event
            return i
        }
        var step: Interaction
        switch event {
        case .watched(let w):
            step = Interaction(user: w.viewer, video: w.video, time: w.occurredAt.milliseconds, completed: w.completed, liked: false, watched: true)
        case .skipped(let s):
            step = Interaction(user: s.viewer, video: s.video, time: s.occurredAt.milliseconds, completed: false, liked: false, watched: true)
            step.skipped = true
        case .liked(let l):
            step = Interaction(user: l.viewer, video: l.video, time: l.occurredAt.milliseconds, completed: false, liked: true, watched: false)
        case .published, .uploadCompleted, .processingSucceeded, .rejected, .removed, .sessionStarted, .sessionEnded,
            .shared, .followed, .unfollowed, .unliked, .notInterested, .userErased:
            return context(0, 0, event.payload.occurredAt)
        default: return nil
        }
        step.event = event
        return step
    }
}
