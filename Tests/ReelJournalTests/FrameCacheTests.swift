import Foundation
import ReelDomain
@testable import ReelJournal
import Testing

/// Stream reads keep recently decompressed frames (`JournalConfiguration.frameCacheBytes`).
@Suite struct FrameCacheTests {
    @Test func streamReadsThroughTheCacheEqualUncachedReads() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var config = JournalConfiguration(directory: "\(dir)/j")
        config.segmentSize = 32 << 10  // several sealed segments: reads cross them
        let j = try Journal.open(config)
        // 40 sessions interleaved: every frame holds events of many streams.
        var g = SplitMix64(seed: 3)
        for round in 0..<60 {
            var writes: [StreamWrite] = []
            for s in 1...40 where g.next() % 3 != 0 {
                writes.append(StreamWrite(stream: .session(UInt64(s)), expected: .any, events: [watch(UInt64(round * 100 + s), session: UInt64(s))]))
            }
            _ = try await j.append(writes)
        }
        let all = try readAll(j)
        j.close()

        var uncachedConfig = config
        uncachedConfig.frameCacheBytes = 0
        uncachedConfig.readOnly = true
        let uncached = try Journal.open(uncachedConfig)
        let cached = try Journal.open(config)
        for s in 1...40 {
            let stream = StreamID.session(UInt64(s))
            let expected = all.filter { $0.stream == stream }
            #expect(try uncached.readStream(stream) == expected)
            // Twice: the second read is served from the cache.
            #expect(try cached.readStream(stream) == expected)
            #expect(try cached.readStream(stream, after: 3) == Array(expected.dropFirst(3)))
        }
        #expect(cached.frameCache.byteCount > 0)
        #expect(uncached.frameCache.byteCount == 0)
        uncached.close()
        cached.close()
    }

    @Test func evictionIsByBytesAndAReadFrameGetsASecondChance() throws {
        let header = FrameHeader(
            frameLength: 100, version: 1, compression: .none, eventCount: 1, firstPosition: 0, recordedAt: Timestamp(microseconds: 0),
            uncompressedLength: 1000, previousHash: [])
        func key(_ i: UInt64) -> FrameCache.Key { FrameCache.Key(firstPosition: i, offset: i * 100, frameLength: 100) }
        let layout = RecordCodec.BlockLayout(types: [], offsets: [])
        let entry = FrameCache.Entry(header: header, block: [UInt8](repeating: 1, count: 1000), layout: layout)
        let cache = FrameCache(capacityBytes: 4 * entry.bytes)
        for i in 0..<4 { cache.insert(key(UInt64(i)), entry) }
        #expect(cache.entry(key(0)) != nil)  // read: survives the next eviction
        cache.insert(key(4), entry)
        #expect(cache.entry(key(0)) != nil)
        #expect(cache.entry(key(1)) == nil)
        #expect(cache.entry(key(4)) != nil)
        #expect(cache.byteCount <= cache.capacityBytes)
        // A frame larger than a quarter of the cache is not kept (it would flush everything else).
        cache.insert(key(9), FrameCache.Entry(header: header, block: [UInt8](repeating: 0, count: 1100), layout: layout))
        #expect(cache.entry(key(9)) == nil)
        cache.removeAll()
        #expect(cache.byteCount == 0 && cache.entry(key(0)) == nil)
    }
}
