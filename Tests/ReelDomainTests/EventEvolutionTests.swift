import ReelDomain
import ReelJournal
import Testing

/// Old event versions still read: their bytes, written the old way, upcast to the current version.
@Suite struct EventEvolutionTests {
    /// `video.processed` version 1 (before the media analysis): exactly the bytes version 1 wrote.
    @Test func processedVersion1ReadsWithAnEmptyAnalysis() throws {
        var w = ByteWriter()
        w.put(UInt64(77))  // video
        w.put(UInt64(15_000))  // durationMillis
        w.put(["360p", "720p"])  // renditions
        w.put(UInt64(9))  // sound
        w.put(Timestamp(milliseconds: 1_700_000_000_000))  // occurredAt
        var recorded = RecordedEvent(
            position: 3, stream: StreamID(kind: StreamKind.video, id: 77), sequence: 3, recordedAt: Timestamp(milliseconds: 1_700_000_000_001),
            type: "video.processed", version: 1, metadata: EventMetadata(), payload: w.bytes, personal: nil)
        try EventCatalog.upcasters.upcast(&recorded)
        #expect(recorded.version == ProcessingSucceeded.version)
        guard case .processingSucceeded(let e)? = try ReelEvent.decode(recorded) else {
            Issue.record("not decoded as video.processed")
            return
        }
        #expect(e.video == 77 && e.durationMillis == 15_000 && e.renditions == ["360p", "720p"] && e.sound == 9)
        #expect(e.analysis.isEmpty && e.frameHashes.isEmpty && e.duplicateOf == 0)
        // Without an analysis, sound 0 would keep the upload's sound; here 9 replaces it.
        var state = VideoEntity.initialState(id: 77)
        state.sound = 5
        VideoEntity.evolve(&state, with: .processingSucceeded(e))
        #expect(state.sound == 9)
    }

    @Test func processedVersion2RoundTripsItsAnalysis() throws {
        let analysis = MediaAnalysis(
            width: 1080, height: 1920, hasAudio: true, frameHashes: [UInt64.max, 0, 12345], audioFingerprint: [1, UInt32.max],
            sceneCutsMillis: [2_000, 7_500], duplicateOf: 42)
        let e = ProcessingSucceeded(video: 1, durationMillis: 9_000, renditions: ["1080p"], sound: 0, occurredAt: Timestamp(milliseconds: 5), analysis: analysis)
        var w = ByteWriter()
        e.encodePayload(into: &w)
        let back = try ProcessingSucceeded.decode(w.bytes)
        #expect(back.analysis == analysis && back == e)
        // With an analysis, sound 0 is authoritative: a silent video has no sound, whatever the upload claimed.
        var state = VideoEntity.initialState(id: 1)
        state.sound = 5
        VideoEntity.evolve(&state, with: .processingSucceeded(back))
        #expect(state.sound == 0)
    }
}
