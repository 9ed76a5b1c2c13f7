import Foundation
import ReelDomain
import ReelJournal
import ReelRuntime
import ReelViews

/// A moment to ask about: now, a journal position, or a time (the last event recorded at or before it).
public enum Moment: Sendable, Hashable {
    case now
    case position(UInt64)
    case time(Timestamp)
}

/// The kinds of entity an audit can ask about.
public enum EntityKind: String, Sendable, CaseIterable {
    case user, session, video, creator, moderation

    var streamKind: UInt16 {
        switch self {
        case .user: StreamKind.user
        case .session: StreamKind.session
        case .video: StreamKind.video
        case .creator: StreamKind.creator
        case .moderation: StreamKind.moderation
        }
    }
}

/// An entity's state as of a moment.
public struct AuditedState: Sendable, Hashable {
    /// The journal position the answer is as of.
    public var position: UInt64
    /// The entity's version then (0: it did not exist yet).
    public var version: UInt64
    public var state: JSONValue
}

extension ReelEngine {
    /// The journal position a moment stands for (nil: before the first event).
    public func position(of moment: Moment) -> UInt64? {
        switch moment {
        case .now: journal.nextPosition == 0 ? nil : journal.nextPosition - 1
        case .position(let p): min(p, journal.nextPosition == 0 ? 0 : journal.nextPosition - 1)
        case .time(let t): journal.lastPosition(atOrBefore: t)
        }
    }

    /// What an entity was at a moment: its newest snapshot at or before it plus the events up to it.
    public func audit(_ kind: EntityKind, _ id: UInt64, at moment: Moment = .now) throws(ReelError) -> AuditedState {
        guard let p = position(of: moment) else { return AuditedState(position: 0, version: 0, state: .null) }
        var audited: AuditedState
        do {
            audited = try DomainEntities.dispatch(kind: kind.streamKind) { type in try audit(type, id, p) }
        } catch {
            throw ReelError.from(error)
        }
        // A person erased now is erased at every moment: their account, creator profile and sessions (whose
        // owner is in the state) answer only that they were erased.
        let owner: UInt64? =
            switch kind {
            case .user, .creator: id
            case .session: audited.state.field("viewer")?.uintValue
            case .video, .moderation: nil
            }
        if let owner, isErased(owner) { audited.state = Self.erasedMarker }
        if kind == .moderation, case .object(var fields) = audited.state, let i = fields.firstIndex(where: { $0.0 == "reporters" }),
            case .array(let reporters) = fields[i].1
        {
            // Erased people leave others' lists of people, reporters too (their reports still count).
            fields[i].1 = .array(reporters.filter { $0.uintValue.map { !isErased($0) } ?? true })
            audited.state = .object(fields)
        }
        return audited
    }

    static let erasedMarker = JSONValue.object([("erased", .bool(true))])

    /// Whether the person was erased (as of now, which is what time travel answers to: erasure is forever).
    func isErased(_ person: UInt64) -> Bool { viewRunner.read { $0.state.users[person]?.erased ?? false } }

    /// What an audit of a view may show at any moment: rows of a person erased now are erased, and erased
    /// people leave others' lists of people (followers, following, blocked).
    func redactErased(table: String, key: UInt64, _ value: JSONValue?) -> JSONValue? {
        let personTables: Set<String> = [
            "catalogue.user", "catalogue.creator", "counters.person", "counters.authoredComments", "interest.longTerm",
            "interest.session", "seen", "social.followers", "social.following", "social.blocked", "social.likes", "social.saves",
        ]
        if personTables.contains(table), isErased(key) { return value == nil ? nil : Self.erasedMarker }
        let personLists: Set<String> = ["social.followers", "social.following", "social.blocked"]
        guard personLists.contains(table), case .array(let ids)? = value else { return value }
        return .array(ids.filter { id in id.uintValue.map { !isErased($0) } ?? true })
    }

    private func audit<E: EventSourcedEntity>(_: E.Type, _ id: UInt64, _ position: UInt64) throws -> AuditedState {
        let (state, version) = try EntityTimeTravel<E>(journal: journal, snapshots: snapshotStore, upcast: EventCatalog.upcast)
            .state(of: id, atPosition: position)
        return AuditedState(position: position, version: version, state: .reflecting(state))
    }

    /// One view row at a moment (`counters.video`, `interest.longTerm`, `social.followers`...), or nil when
    /// the key had none then.
    public func audit(view table: String, key: UInt64, at moment: Moment = .now) throws(ReelError) -> JSONValue? {
        guard ViewStore.tableNames.contains(table) else {
            throw .invalid("unknownView", "no view table \"\(table)\": use one of \(ViewStore.tableNames.joined(separator: ", "))")
        }
        guard let p = position(of: moment) else { return nil }
        do {
            let value = try ViewTimeTravel(journal: journal, storePath: Layout(configuration.dataDirectory).views).value(table: table, key: key, atPosition: p)
            return redactErased(table: table, key: key, value)
        } catch {
            throw ReelError.from(error)
        }
    }

    /// Every feed page served in a session, oldest first, with what each item was chosen by.
    public func servedFeeds(session: UInt64) throws(ReelError) -> [FeedServed] {
        do {
            return try journal.readStream(.session(session)).compactMap { recorded in
                var r = recorded
                try EventCatalog.upcasters.upcast(&r)
                if case .feedServed(let f) = try ReelEvent.decode(r) { return f }
                return nil
            }
        } catch {
            throw ReelError.from(error)
        }
    }

    /// Why a video was shown in a session: each served page that contained it, with the item's source, score
    /// and features, and the views position, seed, model and build that chose it.
    public func whyShown(video: UInt64, session: UInt64) throws(ReelError) -> [(feed: FeedServed, item: FeedItem)] {
        try servedFeeds(session: session).compactMap { f in f.items.first { $0.video == video }.map { (f, $0) } }
    }
}

/// One feature of an interest profile, named for people: a hashtag, a creator's handle, or a sound id.
public struct InterestWeight: Sendable, Hashable {
    public var kind: String
    public var key: String
    public var weight: Float
}

extension ReelEngine {
    /// An interest profile as it was at `moment`: the long-term profile of a user (`interest.longTerm`) or the
    /// short-term one of a session (`interest.session`), strongest first, with weights decayed to that moment.
    public func interest(_ table: String = "interest.longTerm", key: UInt64, at moment: Moment = .now) throws(ReelError) -> [InterestWeight] {
        guard table == "interest.longTerm" || table == "interest.session" else {
            throw .invalid("unknownView", "interest tables are interest.longTerm and interest.session, not \(table)")
        }
        guard case .object(let fields)? = try audit(view: table, key: key, at: moment),
            case .array(let entries)? = fields.first(where: { $0.0 == "entries" })?.1
        else { return [] }
        // Weights decay from their last update to the moment asked about (a position has no clock: undecayed).
        let asOf: Int64? =
            switch moment {
            case .time(let t): t.microseconds / 1000
            case .now: now.microseconds / 1000
            case .position: nil
            }
        let halfLife = table == "interest.longTerm" ? ViewState.longTermHalfLifeMillis : ViewState.sessionHalfLifeMillis
        return viewRunner.read { store in
            entries.compactMap { entry -> InterestWeight? in
                guard case .object(let e) = entry, case .uint(let feature)? = e.first(where: { $0.0 == "feature" })?.1 else { return nil }
                var weight: Float = 0
                if case .double(let w)? = e.first(where: { $0.0 == "weight" })?.1 { weight = Float(w) }
                if case .int(let at)? = e.first(where: { $0.0 == "updatedAt" })?.1, let asOf, asOf > at {
                    weight *= Float(exp2(-Double(asOf - at) / halfLife))
                }
                let id = feature & 0x00FF_FFFF_FFFF_FFFF
                switch ViewKey.featureKind(feature) {
                case .hashtag: return InterestWeight(kind: "hashtag", key: store.state.hashtagNames[id]?.name ?? String(id, radix: 16), weight: weight)
                case .creator: return InterestWeight(kind: "creator", key: store.state.users[id]?.handle ?? "\(id)", weight: weight)
                case .sound: return InterestWeight(kind: "sound", key: "\(id)", weight: weight)
                case nil: return nil
                }
            }.sorted { abs($0.weight) > abs($1.weight) }
        }
    }
}
