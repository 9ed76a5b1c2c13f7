extension Journal {
    /// Appends events to one or more streams atomically: all of the call's events land in one batch (so a
    /// crash keeps all or none), at consecutive positions. Returns once the batch is durable (per
    /// `Durability`). Throws `.wrongExpectedVersion` if a condition fails (nothing is written), `.diskFull`
    /// (nothing written; retry later), `.closed`.
    @discardableResult
    public func append(_ writes: [StreamWrite]) async throws(JournalError) -> AppendResult {
        // Unsafe, not checked: `submit` calls its completion exactly once, and the checked kind allocates a
        // canary per call.
        let result = await withUnsafeContinuation { (cont: UnsafeContinuation<Result<AppendResult, JournalError>, Never>) in
            submit(writes) { cont.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Queues an append without waiting and calls `completion` with its outcome (on a journal thread; keep it
    /// short). Appends submitted one after another from one thread or actor are committed in that order, which
    /// lets an actor pipeline its commands: it decides the next one before the previous one is durable.
    public func submit(_ writes: [StreamWrite], completion: @escaping AppendCompletion) {
        var sealed: [[UInt8]?] = []
        var count = 0
        do throws(JournalError) {
            for w in writes {
                for e in w.events {
                    count += 1
                    guard let p = e.personal else {
                        if !sealed.isEmpty { sealed.append(nil) }
                        continue
                    }
                    guard let cipher = configuration.cipher else {
                        throw JournalError(.invalidArgument, "event \(e.type) carries personal data but the journal has no cipher")
                    }
                    // The first personal event fills in the nils before it.
                    if sealed.isEmpty { sealed = Array(repeating: nil, count: count - 1) }
                    sealed.append(try cipher.seal(p))
                }
            }
            guard count > 0 else { throw JournalError(.invalidArgument, "an append needs at least one event") }
            guard !configuration.readOnly else { throw JournalError(.closed, "the journal is open read-only") }
        } catch {
            completion(.failure(error))
            return
        }
        let ok = queue.enqueue(PendingAppend(writes: writes, sealed: sealed, eventCount: count, complete: completion))
        if !ok { completion(.failure(JournalError(.closed, "the journal is closed"))) }
    }

    /// Appends events to one stream. See `append(_:)`.
    @discardableResult
    public func append(
        _ events: [NewEvent], to stream: StreamID, expected: ExpectedVersion = .any
    ) async throws(JournalError) -> AppendResult {
        try await append([StreamWrite(stream: stream, expected: expected, events: events)])
    }
}
