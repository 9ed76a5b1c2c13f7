extension Journal {
    /// Appends events to one or more streams atomically: all of the call's events land in one batch (so a
    /// crash keeps all or none), at consecutive positions. Returns once the batch is durable (per
    /// `Durability`). Throws `.wrongExpectedVersion` if a condition fails (nothing is written), `.diskFull`
    /// (nothing written; retry later), `.closed`.
    @discardableResult
    public func append(_ writes: [StreamWrite]) async throws -> AppendResult {
        var sealed: [[UInt8]?] = []
        var count = 0
        for w in writes {
            for e in w.events {
                count += 1
                if let p = e.personal {
                    guard let cipher = configuration.cipher else {
                        throw JournalError(.invalidArgument, "event \(e.type) carries personal data but the journal has no cipher")
                    }
                    sealed.append(try cipher.seal(p))
                } else {
                    sealed.append(nil)
                }
            }
        }
        guard count > 0 else { throw JournalError(.invalidArgument, "an append needs at least one event") }
        guard !configuration.readOnly else { throw JournalError(.closed, "the journal is open read-only") }
        return try await withCheckedThrowingContinuation { cont in
            let ok = queue.enqueue(PendingAppend(writes: writes, sealed: sealed, eventCount: count, continuation: cont))
            if !ok { cont.resume(throwing: JournalError(.closed, "the journal is closed")) }
        }
    }

    /// Appends events to one stream. See `append(_:)`.
    @discardableResult
    public func append(
        _ events: [NewEvent], to stream: StreamID, expected: ExpectedVersion = .any
    ) async throws -> AppendResult {
        try await append([StreamWrite(stream: stream, expected: expected, events: events)])
    }
}
