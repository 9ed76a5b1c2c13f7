import Foundation
import ReelDomain
@testable import ReelJournal
import ReelTesting
import Testing

@Suite struct JournalTests {
    @Test func appendsAreReadBackInOrderWithDenseSequencesAndPositions() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let j = try Journal.open(JournalConfiguration(directory: dir))
        let r1 = try await j.append([watch(0), watch(1)], to: .session(1))
        let r2 = try await j.append([watch(2)], to: .session(2))
        let r3 = try await j.append([watch(3)], to: .session(1))
        #expect(r1.firstPosition == 0 && r1.lastSequences == [2])
        #expect(r2.firstPosition == 2 && r2.lastSequences == [1])
        #expect(r3.firstPosition == 3 && r3.lastSequences == [3])
        let all = try readAll(j)
        #expect(all.map(\.position) == [0, 1, 2, 3])
        #expect(all.map(\.sequence) == [1, 2, 1, 3])
        #expect(all.map(\.payload) == [watch(0), watch(1), watch(2), watch(3)].map(\.payload))
        #expect(try j.readStream(.session(1)).map(\.position) == [0, 1, 3])
        #expect(try j.readStream(.session(1), after: 2).map(\.sequence) == [3])
        #expect(try j.version(of: .session(1)) == 3)
        #expect(try j.version(of: .session(9)) == 0)
        j.close()
    }

    @Test func expectedVersionConflictsWriteNothing() async throws {
        let fs = SimulatedFileSystem()
        let j = try Journal.open(simulatedConfig(fs))
        try await j.append([watch(0)], to: .session(1), expected: .noStream)
        await #expect(throws: JournalError.self) { try await j.append([watch(1)], to: .session(1), expected: .noStream) }
        await #expect(throws: JournalError.self) { try await j.append([watch(1)], to: .session(1), expected: .exact(0)) }
        try await j.append([watch(1)], to: .session(1), expected: .exact(1))
        #expect(j.nextPosition == 2)
        do {
            try await j.append([watch(2)], to: .session(1), expected: .exact(5))
            Issue.record("expected a conflict")
        } catch {
            let e = error
            #expect(e.code == .wrongExpectedVersion)
            #expect(e.message.contains("version 2"))
        }
    }

    @Test func concurrentAppendsToOneStreamKeepItsSequenceDense() async throws {
        let fs = SimulatedFileSystem()
        let j = try Journal.open(simulatedConfig(fs))
        try await withThrowingTaskGroup(of: Void.self) { g in
            for i in 0..<200 { g.addTask { try await j.append([watch(UInt64(i))], to: .session(1)) } }
            try await g.waitForAll()
        }
        #expect(try j.readStream(.session(1)).map(\.sequence) == Array(1...200))
    }

    @Test func segmentsRollAndEverythingSurvivesAReopen() async throws {
        let fs = SimulatedFileSystem()
        var config = simulatedConfig(fs, segmentSize: 600)
        let j = try Journal.open(config)
        for i in 0..<300 { try await j.append([watch(UInt64(i), session: UInt64(i % 7))], to: .session(UInt64(i % 7))) }
        let head = j.headHash
        #expect(j.recovery.isClean)
        j.close()
        #expect(try fs.listDirectory("/j").filter { $0.hasSuffix(".seg") }.count > 5)
        config.readOnly = false
        let again = try Journal.open(config)
        #expect(again.recovery.isClean, "\(again.recovery)")
        #expect(again.nextPosition == 300 && again.headHash == head)
        #expect(try again.readStream(.session(3)).map(\.sequence) == Array(1...43))
        #expect(try again.version(of: .session(0)) == 43)
        try await again.append([watch(999)], to: .session(3), expected: .exact(43))
        #expect(again.verify().ok)
        #expect(try readAll(again).map(\.position) == Array(0...300))
    }

    @Test func timeIndexFindsTheLastPositionAtOrBeforeATime() async throws {
        let fs = SimulatedFileSystem()
        let clock = ManualClock(Timestamp(seconds: 1000))
        let j = try Journal.open(simulatedConfig(fs, segmentSize: 400, clock: clock))
        for i in 0..<50 {
            try await j.append([watch(UInt64(i))], to: .session(1))
            clock.advance(microseconds: 1_000_000)
        }
        #expect(j.lastPosition(atOrBefore: Timestamp(seconds: 999)) == nil)
        #expect(j.lastPosition(atOrBefore: Timestamp(seconds: 1000)) == 0)
        #expect(j.lastPosition(atOrBefore: Timestamp(seconds: 1010.5)) == 10)
        #expect(j.lastPosition(atOrBefore: Timestamp(seconds: 99999)) == 49)
        #expect(j.recordedAt(position: 10) == Timestamp(seconds: 1010))
    }

    @Test func recordedAtNeverGoesBackwards() async throws {
        let fs = SimulatedFileSystem()
        let clock = ManualClock(Timestamp(seconds: 1000))
        let j = try Journal.open(simulatedConfig(fs, clock: clock))
        try await j.append([watch(0)], to: .session(1))
        clock.set(Timestamp(seconds: 500))
        try await j.append([watch(1)], to: .session(1))
        let all = try readAll(j)
        #expect(all[1].recordedAt >= all[0].recordedAt)
    }

    @Test func cursorStartsAndStopsAtTheAskedPositions() async throws {
        let fs = SimulatedFileSystem()
        let j = try Journal.open(simulatedConfig(fs, segmentSize: 500))
        for i in 0..<100 { try await j.append([watch(UInt64(i))], to: .session(UInt64(i % 5))) }
        var c = j.events(from: 37, to: 61)
        var seen: [UInt64] = []
        while let e = try c.next() { seen.append(e.position) }
        #expect(seen == Array(37..<61))
    }

    @Test func aSecondWriterOnTheSameDirectoryIsRefused() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let j = try Journal.open(JournalConfiguration(directory: dir))
        #expect {
            _ = try Journal.open(JournalConfiguration(directory: dir))
        } throws: { ($0 as? JournalError)?.code == .locked }
        var ro = JournalConfiguration(directory: dir)
        ro.readOnly = true
        #expect(try Journal.open(ro).nextPosition == 0)
        j.close()
    }

    @Test func syncIntervalAndNoSyncStillReadBack() async throws {
        for durability in [Durability.syncInterval(milliseconds: 5), .noSyncUnsafe] {
            let fs = SimulatedFileSystem()
            var c = simulatedConfig(fs)
            c.durability = durability
            let j = try Journal.open(c)
            for i in 0..<20 { try await j.append([watch(UInt64(i))], to: .session(1)) }
            j.close()
            fs.crash()  // close synced everything
            #expect(try Journal.open(c).nextPosition == 20)
        }
    }
}
