import Foundation
@testable import ReelJournal
import ReelTesting
import Testing

/// A byte damaged anywhere in a sealed segment is refused at open, naming the segment and the frame, even
/// though its `.idx` still checks out (issue 24, item 11: the server became ready, committed a write it never
/// answered, and exited when a read reached the damage).
@Suite struct SealedSegmentCheckTests {
    @Test func everyFlippedByteOfASealedSegmentIsRefusedAtOpen() async throws {
        let fs = SimulatedFileSystem()
        let config = simulatedConfig(fs, segmentSize: 300)
        let j = try Journal.open(config)
        for i in 0..<20 { try await j.append([watch(UInt64(i))], to: .session(1)) }
        let (sealed, batches) = try #require(j.index.withLock { ix in ix.segments.count >= 3 ? (ix.segments[1].base, ix.segments[1].batches) : nil })
        j.close()
        let name = SegmentFiles.segmentName(sealed)
        var size = 0
        fs.withContents("/j/" + name) { size = $0.count }
        #expect(size > 100)
        for offset in 0..<size {
            fs.withContents("/j/" + name) { $0[offset] ^= 0x20 }
            for readOnly in [false, true] {
                var c = config
                c.readOnly = readOnly
                do {
                    let opened = try Journal.open(c)
                    opened.close()
                    Issue.record("byte \(offset) of \(name) flipped and the journal opened (readOnly \(readOnly))")
                } catch {
                    #expect(error.code == .corruption, "byte \(offset): \(error)")
                    #expect(error.file == name, "byte \(offset): \(error)")
                    #expect(error.message.contains("backup"), "byte \(offset): \(error)")
                    // The offset named is the header's or the start of the frame that holds the byte.
                    let frame = batches.last { Int($0.offset) <= offset }.map { Int($0.offset) } ?? 0
                    #expect(error.offset == frame, "byte \(offset): named \(String(describing: error.offset))")
                }
            }
            fs.withContents("/j/" + name) { $0[offset] ^= 0x20 }
        }
        // Undamaged again, it opens and reads every event.
        let reopened = try Journal.open(config)
        #expect(try readAll(reopened).count == 20)
        #expect(reopened.recovery.checkedSegments >= 2)
        reopened.close()
    }
}
