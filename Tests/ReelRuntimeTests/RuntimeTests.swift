import Foundation
import ReelJournal
import ReelRuntime
import ReelTesting
import Synchronization
import Testing

@Suite struct RuntimeTests {
    @Test func concurrentCommandsToOneEntityKeepItsInvariant() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        let registry = EntityRegistry<Account>(journal: journal, snapshots: nil, context: ())
        try await registry.send(.deposit(300), to: 1)
        // 600 concurrent withdrawals of 1 from 300: if a command validated against stale state (reentrancy
        // across the journal await), more than 300 would succeed and the balance would go negative.
        let succeeded = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<600 {
                group.addTask {
                    do {
                        try await registry.send(.withdraw(1), to: 1)
                        succeeded.n.add(1, ordering: .relaxed)
                    } catch let e as CommandRejected {
                        #expect(e.code == "insufficientFunds")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(succeeded.n.load(ordering: .relaxed) == 300)
        let (state, version) = try await registry.state(of: 1)
        #expect(state.balance == 0)
        #expect(version == 301)
        #expect(try journal.version(of: StreamID(kind: Account.kind, id: 1)) == 301)
        journal.close()
    }

    @Test func activationUsesTheNewestSnapshotPlusTheTail() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        let store = try SnapshotStore(path: "\(dir)/snapshots.sqlite")
        let writer = SnapshotWriter(store: store)
        var policy = EntityPolicy()
        policy.snapshotEvery = 100
        let registry = EntityRegistry<Account>(journal: journal, snapshots: writer, context: (), policy: policy)
        for i in 0..<250 { try await registry.send(.deposit(Int64(i)), to: 5) }
        writer.flush()
        let snap = try #require(try store.newest(of: StreamID(kind: Account.kind, id: 5), schemaVersion: 1))
        #expect(snap.sequence == 200)
        #expect(try Account.decodedState(snap.state).balance == (0..<200).reduce(0, +))
        #expect(registry.metrics.activations.load(ordering: .relaxed) == 1)

        // Passivation snapshots the rest; a fresh registry activates from it with no tail.
        #expect(await registry.passivateAll() == 1)
        #expect(registry.residentCount == 0)
        writer.flush()
        #expect(try store.newest(of: StreamID(kind: Account.kind, id: 5), schemaVersion: 1)?.sequence == 250)
        try await registry.send(.deposit(1), to: 5)
        #expect(registry.metrics.activations.load(ordering: .relaxed) == 2)
        #expect(registry.metrics.passivations.load(ordering: .relaxed) == 1)
        #expect(try await registry.state(of: 5).state.balance == (0..<250).reduce(0, +) + 1)

        // Time travel: the state at a past position equals folding the stream up to it.
        let travel = EntityTimeTravel<Account>(journal: journal, snapshots: store)
        let events = try journal.readStream(StreamID(kind: Account.kind, id: 5))
        for k in [0, 57, 99, 100, 150, 249, 250] {
            let expected = events[0...k].compactMap { try? Account.Event.decode($0) }.reduce(Account.State()) { s, e in
                var s = s
                Account.evolve(&s, with: e)
                return s
            }
            let (state, version) = try travel.state(of: 5, atPosition: events[k].position)
            #expect(state == expected)
            #expect(version == UInt64(k + 1))
        }
        writer.close()
        journal.close()
    }

    @Test func shortStreamsAreActivatedFromTheirEventsWithoutASnapshot() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        let store = try SnapshotStore(path: "\(dir)/snapshots.sqlite")
        let writer = SnapshotWriter(store: store)
        var policy = EntityPolicy()
        policy.snapshotLookupMinimumEvents = 4
        let registry = EntityRegistry<Account>(journal: journal, snapshots: writer, context: (), policy: policy)
        for i in 1...3 { try await registry.send(.deposit(Int64(i)), to: 1) }  // 3 events: short
        for i in 1...5 { try await registry.send(.deposit(Int64(i)), to: 2) }  // 5 events: not short
        #expect(await registry.passivateAll() == 2)
        writer.flush()
        // Passivation snapshots only the stream long enough to be activated from a snapshot.
        #expect(try store.newest(of: StreamID(kind: Account.kind, id: 1), schemaVersion: 1) == nil)
        #expect(try store.newest(of: StreamID(kind: Account.kind, id: 2), schemaVersion: 1)?.sequence == 5)
        // Both come back with their whole state, and go on from it.
        try await registry.send(.withdraw(6), to: 1)
        try await registry.send(.withdraw(15), to: 2)
        #expect(try await registry.state(of: 1) == (Account.State(balance: 0), 4))
        #expect(try await registry.state(of: 2) == (Account.State(balance: 0), 6))
        await #expect(throws: CommandRejected.self) { try await registry.send(.withdraw(1), to: 1) }
        writer.close()
        journal.close()
    }

    @Test func aQueryDuringAnAppendSeesTheDurableStateFromTheJournal() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let (fs, journal, store, writer, registry) = try gatedAccounts(in: dir, snapshotEvery: 4)
        for _ in 0..<10 { try await registry.send(.deposit(1), to: 1) }
        writer.flush()
        #expect(try store.newest(of: StreamID(kind: Account.kind, id: 1), schemaVersion: 1)?.sequence == 8)

        // Hold the next appends before they are durable: the entity's speculative state is 10 + 5 + 7.
        fs.closed.store(true, ordering: .releasing)
        let pending = Task {
            async let a: CommandReceipt = registry.send(.deposit(5), to: 1)
            async let b: CommandReceipt = registry.send(.deposit(7), to: 1)
            return try await [a, b]
        }
        try await Task.sleep(for: .milliseconds(200))
        // A query sees only what is durable (the snapshot at 8 and two events after it), and does not wait.
        #expect(try await registry.state(of: 1) == (Account.State(balance: 10), 10))
        // A command decides against the speculative state: 22 can be withdrawn, not 23.
        let withdraw = Task { try await registry.send(.withdraw(22), to: 1) }
        await #expect(throws: CommandRejected.self) { try await registry.send(.withdraw(23), to: 1) }
        fs.closed.store(false, ordering: .releasing)
        _ = try await pending.value
        _ = try await withdraw.value
        #expect(try await registry.state(of: 1) == (Account.State(balance: 0), 13))
        writer.close()
        journal.close()
    }

    @Test func aBusyEntitySnapshotsItsStateOnceThatStateIsDurable() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let (fs, journal, store, writer, registry) = try gatedAccounts(in: dir, snapshotEvery: 10)
        // 30 deposits in flight at once: when the 10th is acknowledged the rest are not, so the snapshot is
        // the speculative state, saved only once its own (last) append is durable.
        fs.closed.store(true, ordering: .releasing)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<30 { group.addTask { try await registry.send(.deposit(1), to: 1) } }
            try await Task.sleep(for: .milliseconds(100))
            fs.closed.store(false, ordering: .releasing)
            try await group.waitForAll()
        }
        writer.flush()
        let stream = StreamID(kind: Account.kind, id: 1)
        let snap = try #require(try store.newest(of: stream, schemaVersion: 1))
        let events = try journal.readStream(stream)
        #expect(snap.sequence >= 10)
        #expect(try Account.decodedState(snap.state).balance == Int64(snap.sequence))
        #expect(snap.position == events[Int(snap.sequence) - 1].position)
        writer.close()
        journal.close()
    }

    /// Accounts on a journal whose appends a test can hold (`GatedFileSystem`), with a snapshot store.
    private func gatedAccounts(in dir: String, snapshotEvery: Int) throws -> (
        GatedFileSystem, Journal, SnapshotStore, SnapshotWriter, EntityRegistry<Account>
    ) {
        let fs = GatedFileSystem()
        var config = try JournalConfiguration.sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite")
        config.fileSystem = fs
        let journal = try Journal.open(config)
        let store = try SnapshotStore(path: "\(dir)/snapshots.sqlite")
        let writer = SnapshotWriter(store: store)
        var policy = EntityPolicy()
        policy.snapshotEvery = snapshotEvery
        let registry = EntityRegistry<Account>(journal: journal, snapshots: writer, context: (), policy: policy)
        return (fs, journal, store, writer, registry)
    }

    @Test func idleAndOverBudgetEntitiesArePassivated() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        var policy = EntityPolicy()
        policy.maxResidentEntities = 50
        let registry = EntityRegistry<Account>(journal: journal, snapshots: nil, context: (), policy: policy)
        for id in 1...UInt64(80) { try await registry.send(.deposit(1), to: id) }
        #expect(registry.residentCount == 80)
        let passivated = await registry.maintain()
        #expect(passivated >= 30)
        #expect(registry.residentCount <= 45)
        // The least recently used went first: the newest ones are still resident.
        #expect(try await registry.state(of: 80).state.balance == 1)
        journal.close()
    }

    @Test func aFailedAppendRollsTheEntityBackToItsDurableState() async throws {
        let fs = SimulatedFileSystem()
        var config = JournalConfiguration(directory: "/j")
        config.fileSystem = fs
        let journal = try Journal.open(config)
        let registry = EntityRegistry<Account>(journal: journal, snapshots: nil, context: ())
        try await registry.send(.deposit(10), to: 1)
        fs.setCapacity(0)
        await #expect(throws: JournalError.self) { try await registry.send(.withdraw(4), to: 1) }
        // The speculative withdrawal was rolled back: still 10, and 10 can be withdrawn once space returns.
        #expect(try await registry.state(of: 1).state.balance == 10)
        fs.setCapacity(.max)
        try await registry.send(.withdraw(10), to: 1)
        #expect(try await registry.state(of: 1) == (Account.State(balance: 0), 2))
        journal.close()
    }

    @Test func killedActorProcessesLoseNoAcknowledgedCommand() async throws {
        guard let reel = reelExecutable() else {
            Issue.record("build the reel executable first (make test does)")
            return
        }
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var acked: [UInt64: UInt64] = [:]
        for round in 0..<5 {
            let lines = try await runReelUntilKilled(reel, ["journal", "crash-actors", "--data-dir", dir], acks: 199, grace: .milliseconds(20 * round))
            for (s, v) in lines { acked[s] = max(acked[s] ?? 0, v) }
            #expect(!acked.isEmpty, "round \(round) acknowledged nothing")
            var ro = try JournalConfiguration.sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite")
            ro.readOnly = true
            let j = try Journal.open(ro)
            for (s, v) in acked {
                #expect(try j.version(of: StreamID(kind: 2, id: s)) >= v, "session \(s) lost acknowledged version \(v)")
            }
            #expect(j.verify().ok)
            j.close()
        }
    }
}

final class Tally: Sendable {
    let n = Atomic<Int>(0)
}
