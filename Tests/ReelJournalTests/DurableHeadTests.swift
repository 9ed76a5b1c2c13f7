import Foundation
@testable import ReelJournal
import ReelTesting
import Testing

/// A journal that ends before what it acknowledged as durable is an error that names the file, never a
/// silent fresh start (issue 24, item 10: a damaged last frame, a cut at a frame boundary and a deleted
/// active segment each lost acknowledged writes while `verify` said all was well).
@Suite struct DurableHeadTests {
    func journalOfTen(_ fs: SimulatedFileSystem, segmentSize: Int = 16 << 20) async throws -> JournalConfiguration {
        let config = simulatedConfig(fs, segmentSize: segmentSize)
        let j = try Journal.open(config)
        for i in 0..<10 { try await j.append([watch(UInt64(i))], to: .session(1)) }
        j.close()
        return config
    }

    func expectLoss(_ config: JournalConfiguration, file: String, saying words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for readOnly in [true, false] {  // `reel journal verify` opens read-only; `reel serve` read-write
            var c = config
            c.readOnly = readOnly
            do {
                _ = try Journal.open(c)
                Issue.record("opened a journal that lost acknowledged events (readOnly \(readOnly))", sourceLocation: sourceLocation)
            } catch {
                #expect(error.code == .acknowledgedMissing, "\(error)", sourceLocation: sourceLocation)
                #expect(error.file == file, "\(error)", sourceLocation: sourceLocation)
                for w in words + ["backup", "durable-head"] {
                    #expect(error.message.contains(w), "\"\(w)\" in: \(error.message)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test func aCutAtAFrameBoundaryIsNamed() async throws {
        let fs = SimulatedFileSystem()
        let config = try await journalOfTen(fs)
        let j = try Journal.open(config)
        let lastFrame = j.index.withLock { $0.segments[0].batches.last!.offset }
        j.close()
        let segment = SegmentFiles.segmentName(0)
        fs.withContents("/j/" + segment) { $0.removeLast($0.count - Int(lastFrame)) }
        expectLoss(config, file: segment, saying: ["before position 9", "1 acknowledged event is missing", "frame boundary"])
    }

    @Test func aDamagedLastFrameIsNotCutAsATornTail() async throws {
        let fs = SimulatedFileSystem()
        let config = try await journalOfTen(fs)
        let segment = SegmentFiles.segmentName(0)
        var size = 0
        fs.withContents("/j/" + segment) {
            $0[$0.count - 5] ^= 0x10
            size = $0.count
        }
        expectLoss(config, file: segment, saying: ["do not read as frames"])
        var after = 0
        fs.withContents("/j/" + segment) { after = $0.count }
        #expect(after == size, "nothing was cut: the damaged frame is still there for someone to look at")
    }

    @Test func aDeletedActiveSegmentIsNamed() async throws {
        let fs = SimulatedFileSystem()
        let config = try await journalOfTen(fs, segmentSize: 400)
        let j = try Journal.open(config)
        let bases = j.index.withLock { $0.segments.map(\.base) }
        j.close()
        #expect(bases.count >= 3)
        let active = SegmentFiles.segmentName(bases.last!)
        try fs.remove("/j/" + active)
        expectLoss(config, file: active, saying: ["is missing", "acknowledged"])
    }

    /// The operator who accepts the loss deletes the head: the journal opens on what is left and records a
    /// new head from there.
    @Test func deletingTheHeadAcceptsTheLoss() async throws {
        let fs = SimulatedFileSystem()
        let config = try await journalOfTen(fs)
        fs.withContents("/j/" + SegmentFiles.segmentName(0)) { $0.removeLast(7) }
        try fs.remove("/j/" + DurableHead.fileName)
        let j = try Journal.open(config)
        #expect(j.nextPosition == 9 && j.recovery.truncatedBytes > 0)
        try await j.append([watch(9)], to: .session(1))
        j.close()
        #expect(try Journal.open(config).nextPosition == 10)
    }

    /// A head torn by a power cut (its own write is never synced) makes no claim.
    @Test func aTornHeadMakesNoClaim() async throws {
        let fs = SimulatedFileSystem()
        let config = try await journalOfTen(fs)
        fs.withContents("/j/" + DurableHead.fileName) { $0[20] ^= 0xFF }
        #expect(try Journal.open(config).nextPosition == 10)
        fs.withContents("/j/" + DurableHead.fileName) { $0.removeLast(3) }
        #expect(try Journal.open(config).nextPosition == 10)
    }

    @Test func theHeadRoundTrips() {
        let head = DurableHead(nextPosition: 1 << 40 | 7, activeBase: 12_345, activeLength: 99_999)
        #expect(head.encoded().count == DurableHead.size)
        #expect(DurableHead.decode(head.encoded()) == head)
    }
}
