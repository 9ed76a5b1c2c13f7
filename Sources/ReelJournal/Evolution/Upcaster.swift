/// Turns a payload of one event type from `fromVersion` into `fromVersion + 1`.
public struct Upcaster: Sendable {
    public var type: String
    public var fromVersion: UInt16
    public var transform: @Sendable ([UInt8]) throws -> [UInt8]

    public init(type: String, fromVersion: UInt16, transform: @escaping @Sendable ([UInt8]) throws -> [UInt8]) {
        self.type = type
        self.fromVersion = fromVersion
        self.transform = transform
    }
}

/// Applies upcasters on read until each event is in the newest version this code knows. Old bytes in the
/// journal are never rewritten; the golden journals in `Journal/golden/` prove old versions still read.
public struct UpcasterChain: Sendable {
    private var steps: [String: [UInt16: Upcaster]] = [:]

    public init(_ upcasters: [Upcaster] = []) {
        for u in upcasters { steps[u.type, default: [:]][u.fromVersion] = u }
    }

    /// Upcasts in place. Throws `.malformed` if a step fails.
    public func upcast(_ event: inout RecordedEvent) throws(JournalError) {
        guard let chain = steps[event.type] else { return }
        while let step = chain[event.version] {
            do {
                event.payload = try step.transform(event.payload)
            } catch {
                throw JournalError(
                    .malformed, "cannot upcast \(event.type) v\(event.version) at position \(event.position)", cause: error)
            }
            event.version += 1
        }
    }
}
