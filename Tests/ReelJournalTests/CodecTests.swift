import PropertyBased
import ReelDomain
@testable import ReelJournal
import Testing

@Suite struct CodecTests {
    @Test func crc32cMatchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func varintAndZigzagRoundTrip() async {
        await propertyCheck(input: Gen.uint64(), Gen.int64()) { u, s in
            var w = ByteWriter()
            w.writeVarint(u)
            w.writeZigzag(s)
            w.bytes.withUnsafeBytes { raw in
                var r = ByteReader(raw)
                #expect(try! r.readVarint() == u)
                #expect(try! r.readZigzag() == s)
                let atEnd = r.isAtEnd
                #expect(atEnd)
            }
        }
    }

    @Test func truncatedVarintIsAnErrorNotATrap() {
        [UInt8]([0x80, 0x80]).withUnsafeBytes { raw in
            var r = ByteReader(raw)
            #expect(throws: JournalError.self) { try r.readVarint() }
        }
    }

    static let eventGen = zip(
        Gen.uint16(), Gen.uint64(), Gen.int(in: 1...1_000_000), Gen.letterOrNumber.string(of: 1...12),
        Gen.uint8().array(of: 0...200), Gen.uint64().optional, Gen.uint64().optional, Gen.bool
    )

    @Test func stringsRoundTripAndInvalidUTF8IsAnError() throws {
        for text in ["", "dance", "#fyp café", "日本語のキャプション 🎵", String(repeating: "a", count: 300)] {
            var w = ByteWriter()
            w.writeString(text)
            let bytes = w.bytes
            let (back, atEnd) = try bytes.withBytes { (raw) throws(JournalError) -> (String, Bool) in
                var r = ByteReader(raw)
                let s = try r.readString()
                return (s, r.isAtEnd)
            }
            #expect(back == text && atEnd)
        }
        for bad: [UInt8] in [[2, 0x61, 0xFF], [2, 0xC3, 0x28], [1, 0x80], [3, 0xE2, 0x82]] {
            #expect(throws: JournalError.self) {
                try bad.withBytes { (raw) throws(JournalError) in
                    var r = ByteReader(raw)
                    _ = try r.readString()
                }
            }
        }
    }

    @Test func recordsBlockRoundTripsThroughAFrame() async throws {
        await propertyCheck(count: 200, input: Self.eventGen.array(of: 1...40), Gen.int(in: 0...3)) { specs, level in
            let pending = specs.enumerated().map { i, s in
                RecordCodec.Pending(
                    stream: StreamID(kind: s.0, id: s.1), sequence: UInt64(s.2),
                    event: NewEvent(
                        type: s.3, version: UInt16(i % 3 + 1),
                        metadata: EventMetadata(correlationID: s.7 ? s.1 : s.5, causationID: s.6, actorID: s.5),
                        payload: s.4),
                    sealedPersonal: s.7 ? Array(s.4.prefix(40)) + [1] : nil)
            }
            var pendingWithPersonal = pending
            for i in pendingWithPersonal.indices where pendingWithPersonal[i].sealedPersonal != nil {
                pendingWithPersonal[i].event.personal = PersonalData(subject: 99, bytes: [])
            }
            let prev = (0..<32).map { UInt8($0) }
            let (frame, hash) = try! FrameCodec.encode(
                records: pendingWithPersonal[...], firstPosition: 1234, recordedAt: Timestamp(microseconds: 42),
                previousHash: prev, compressionLevel: Int32(level))
            frame.withUnsafeBytes { raw in
                let h = try! FrameCodec.validate(raw)
                #expect(h.firstPosition == 1234 && h.eventCount == pending.count && h.previousHash == prev)
                #expect(FrameCodec.hash(ofFrame: raw, header: h) == hash)
                var out: [RecordedEvent] = []
                try! FrameCodec.decodeEvents(raw, header: h, into: &out)
                #expect(out.count == pending.count)
                for (p, e) in zip(pendingWithPersonal, out) {
                    #expect(e.stream == p.stream && e.sequence == p.sequence && e.type == p.event.type)
                    #expect(e.version == p.event.version && e.metadata == p.event.metadata && e.payload == p.event.payload)
                    #expect(e.recordedAt == Timestamp(microseconds: 42))
                    if let sealed = p.sealedPersonal {
                        #expect(e.personal == .sealed(subject: 99, nonceAndCiphertext: sealed))
                    } else {
                        #expect(e.personal == nil)
                    }
                }
            }
        }
    }

    @Test func anyFlippedByteInAFrameIsDetected() async {
        let pending = (0..<20).map { i in
            RecordCodec.Pending(stream: .session(UInt64(i % 3)), sequence: UInt64(i + 1), event: watch(UInt64(i)), sealedPersonal: nil)
        }
        let (frame, _) = try! FrameCodec.encode(
            records: pending[...], firstPosition: 0, recordedAt: .zero, previousHash: FrameCodec.zeroHash, compressionLevel: 1)
        await propertyCheck(input: Gen.int(in: 0...(frame.count - 1)), Gen.uint8(in: 1...255)) { at, mask in
            var bad = frame
            bad[at] ^= mask
            let failed = bad.withUnsafeBytes { raw in (try? FrameCodec.validate(raw)) == nil }
            #expect(failed)
        }
    }

    @Test func domainPayloadsRoundTrip() async {
        await propertyCheck(input: Gen.uint64(), Gen.uint64(), Gen.uint32(), Gen.bool, Gen.int64(in: -1_000_000_000_000...4_000_000_000_000)) { v, s, w, c, t in
            let e = VideoWatched(
                viewer: v, video: s, session: v ^ s, watchMillis: UInt64(w), durationMillis: UInt64(w) / 2, loops: UInt64(w % 4),
                completed: c, occurredAt: Timestamp(milliseconds: t))
            #expect(try! VideoWatched.decode(e.payload()) == e)
        }
    }

    @Test func timestampsParseIsoAndUnixSeconds() {
        #expect(Timestamp(parsing: "1767225600") == Timestamp(seconds: 1_767_225_600))
        #expect(Timestamp(parsing: "2026-01-01T00:00:00Z") == Timestamp(seconds: 1_767_225_600))
        #expect(Timestamp(parsing: "2026-01-01T01:00:00.5+01:00") == Timestamp(seconds: 1_767_225_600.5))
        #expect(Timestamp(parsing: "yesterday") == nil)
        // Numbers that are no time are refused, never trapped on (issue 24: `?at=1e300` killed the server).
        for text in ["1e300", "nan", "inf", "-inf", "99999999999999", "-1e19", "9.3e12", "10000-01-01", "0001-01-01"] {
            #expect(Timestamp(parsing: text) == nil, "\(text)")
        }
        #expect(Timestamp(checkedSeconds: .nan) == nil && Timestamp(checkedSeconds: -.infinity) == nil)
        #expect(Timestamp(parsing: "9999-12-31T23:59:59Z") == Timestamp(seconds: 253_402_300_799))
        #expect(Timestamp(parsing: "1900-01-01") == Timestamp.earliest && Timestamp(parsing: "1899-12-31") == nil)
        #expect(Timestamp(parsing: "253402300799") != nil && Timestamp(parsing: "253402300800") == nil)
        #expect(Timestamp(seconds: 1_767_225_600.25).description == "2026-01-01T00:00:00.250000Z")
    }
}
