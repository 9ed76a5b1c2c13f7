import Logging
import ReelDomain
import ReelJournal
import ReelRuntime

/// One journal event as a subscriber receives it: decoded, upcast to the current version of its type.
public struct SubscribedEvent: Sendable {
    public var position: UInt64
    public var stream: StreamID
    public var recordedAt: Timestamp
    public var event: ReelEvent
    /// The command id the event was recorded under (`ReelEngine.withCommandID`), if any.
    public var causation: UInt64? = nil

    public init(position: UInt64, stream: StreamID, recordedAt: Timestamp, event: ReelEvent, causation: UInt64? = nil) {
        self.position = position
        self.stream = stream
        self.recordedAt = recordedAt
        self.event = event
        self.causation = causation
    }
}

/// A host's own read model, fed every domain event in journal order: from its checkpoint, catching up,
/// then following live appends on its own thread. The same determinism rules as the built-in views apply:
/// fold only what the events say (no wall clock, no random numbers, no per-process `Hasher`), and a replay
/// from zero rebuilds the same state.
public protocol EventSubscriber: AnyObject, SendableMetatype {
    /// Everything before this position has been received (load it from your checkpoint; 0 when new).
    var nextPosition: UInt64 { get }
    /// Folds consecutive events. Throwing stops the subscription (the error is kept in ``Subscription/error``);
    /// the events are delivered again from the last checkpoint after a restart.
    func receive(_ events: [SubscribedEvent]) throws
    /// Persists your state together with the position after the last event received, atomically.
    func checkpoint() throws
}

/// A running subscription: its progress and how to wait for it.
public final class Subscription: Sendable {
    let control: any SubscriptionControl
    init(control: any SubscriptionControl) { self.control = control }
    /// Journal events not yet delivered.
    public var lag: UInt64 { control.lag }
    /// Why the subscription stopped, if it did.
    public var error: (any Error)? { control.error }
    /// Blocks until everything before `position` was delivered (false on timeout or error).
    public func waitUntil(delivered position: UInt64, timeout: Duration = .seconds(5)) -> Bool {
        control.waitUntil(position, timeout: timeout)
    }
}

protocol SubscriptionControl: Sendable {
    func start()
    func stop(logger: Logger)
    var lag: UInt64 { get }
    var error: (any Error)? { get }
    func waitUntil(_ position: UInt64, timeout: Duration) -> Bool
}

extension ReelEngine {
    /// Registers a subscriber. Before `run`, it starts with the engine; while running, at once. Personal data
    /// (handles, emails, display names, comment text, captions, creator names: `SealedFields`) is delivered
    /// decrypted only when `personalData` is true; otherwise those fields are empty.
    @discardableResult
    public func subscribe<S: EventSubscriber>(_ subscriber: S, personalData: Bool = false) -> Subscription {
        var policy = ProjectionRunner<SubscriberProjection<S>>.Policy()
        policy.decryptPersonal = personalData
        policy.checkpointEvents = UInt64(configuration.views.checkpointEvents)
        policy.checkpointInterval = .seconds(configuration.views.checkpointIntervalSeconds)
        let runner = SubscriptionRunner(ProjectionRunner(journal: journal, projection: SubscriberProjection(subscriber), policy: policy))
        let startNow = subscriptions.withLock { list in
            list.append(runner)
            return gate.isClosed == false
        }
        if startNow { runner.start() }
        return Subscription(control: runner)
    }
}

/// Adapts a subscriber to the projection runner: decodes and upcasts each event.
final class SubscriberProjection<S: EventSubscriber>: Projection {
    let subscriber: S
    private(set) var nextPosition: UInt64

    init(_ subscriber: S) {
        self.subscriber = subscriber
        nextPosition = subscriber.nextPosition
    }

    func apply(_ events: [RecordedEvent]) throws {
        var decoded: [SubscribedEvent] = []
        decoded.reserveCapacity(events.count)
        for recorded in events {
            var r = recorded
            try EventCatalog.upcasters.upcast(&r)
            if let e = try ReelEvent.decode(r) {
                decoded.append(
                    SubscribedEvent(position: r.position, stream: r.stream, recordedAt: r.recordedAt, event: e, causation: r.metadata.causationID))
            }
        }
        if !decoded.isEmpty { try subscriber.receive(decoded) }
        if let last = events.last { nextPosition = last.position + 1 }
    }

    func checkpoint(recordedAt: Timestamp) throws { try subscriber.checkpoint() }
}

final class SubscriptionRunner<S: EventSubscriber>: SubscriptionControl, @unchecked Sendable {
    let runner: ProjectionRunner<SubscriberProjection<S>>
    init(_ runner: ProjectionRunner<SubscriberProjection<S>>) { self.runner = runner }
    func start() { runner.start() }
    func stop(logger: Logger) {
        do {
            try runner.stop()
            try runner.checkpoint()
        } catch {
            logger.error("a subscription could not checkpoint at shutdown: \(error)")
        }
    }
    var lag: UInt64 { runner.lag }
    var error: (any Error)? { runner.error }
    func waitUntil(_ position: UInt64, timeout: Duration) -> Bool { runner.waitUntil(folded: position, timeout: timeout) }
}
