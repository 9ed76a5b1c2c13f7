import Foundation
import ReelMedia
import Testing

/// The pure cores: ladder, levels, playlists, hashes, fingerprints, probe parsing, moderation.
@Suite struct MediaCoreTests {
    @Test func theLadderNeverGoesAboveTheSource() {
        #expect(Ladder.rungs(sourceWidth: 1080, sourceHeight: 1920).map(\.name) == ["1080p", "720p", "540p", "360p"])
        #expect(Ladder.rungs(sourceWidth: 720, sourceHeight: 1280).map(\.name) == ["720p", "540p", "360p"])
        let small = Ladder.rungs(sourceWidth: 241, sourceHeight: 427)
        #expect(small.count == 1 && small[0].width == 242 && small[0].height == 428)
        // Landscape keeps its aspect: the short side names the rung.
        let wide = Ladder.rungs(sourceWidth: 1920, sourceHeight: 1080)
        #expect(wide[1].width == 1280 && wide[1].height == 720)
        for r in Ladder.rungs(sourceWidth: 1000, sourceHeight: 1778) { #expect(r.width % 2 == 0 && r.height % 2 == 0) }
    }

    @Test func levelsFollowTheMacroblockLimits() {
        #expect(Rung(name: "1080p", width: 1080, height: 1920, videoBitrate: 1).level(fps: 30) == 40)
        #expect(Rung(name: "720p", width: 720, height: 1280, videoBitrate: 1).level(fps: 30) == 31)
        #expect(Rung(name: "720p", width: 720, height: 1280, videoBitrate: 1).level(fps: 60) == 32)
        #expect(Rung(name: "360p", width: 360, height: 640, videoBitrate: 1).level(fps: 30) == 30)
    }

    @Test func theMasterPlaylistCarriesEveryAttributePlayersNeed() {
        let media = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000000,\nseg_000.ts\n#EXTINF:1.500000,\nseg_001.ts\n#EXT-X-ENDLIST\n"
        let segments = Playlists.segments(mediaPlaylist: media)
        #expect(segments.map(\.name) == ["seg_000.ts", "seg_001.ts"])
        let rung = Rung(name: "720p", width: 720, height: 1280, videoBitrate: 2_500_000)
        let stats = Playlists.stats(rung: rung, segments: [(2, 500_000), (1.5, 300_000)], codecs: "avc1.64001f,mp4a.40.2")
        #expect(stats.peakBitrate == 2_000_000)
        #expect(stats.averageBitrate == 1_828_572)
        let master = Playlists.master([stats], frameRate: 29.97)
        #expect(master == """
            #EXTM3U
            #EXT-X-VERSION:6
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-STREAM-INF:BANDWIDTH=2000000,AVERAGE-BANDWIDTH=1828572,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=720x1280,FRAME-RATE=29.970
            720p/index.m3u8

            """)
    }

    @Test func dHashComparesNeighboursAndDuplicatesTolerateNoiseAndShift() {
        var gradient = [UInt8](repeating: 0, count: 72)
        for r in 0..<8 { for c in 0..<9 { gradient[r * 9 + c] = UInt8(200 - c * 20) } }
        #expect(PerceptualHash.dHash(gradient[...]) == UInt64.max)
        #expect(PerceptualHash.dHashes(grey: gradient + gradient + [1, 2]) == [UInt64.max, UInt64.max])
        var rng = SystemRandomNumberGenerator()
        let original = (0..<20).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) }
        // A re-encode flips a few bits per frame, and starts a second late.
        let copy = original.dropFirst().map { $0 ^ (1 << UInt64.random(in: 0..<64)) ^ (1 << UInt64.random(in: 0..<64)) }
        #expect(PerceptualHash.isNearDuplicate(Array(copy), of: original))
        let unrelated = (0..<20).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) }
        #expect(!PerceptualHash.isNearDuplicate(unrelated, of: original))
        #expect(!PerceptualHash.isNearDuplicate(Array(original.prefix(2)), of: original), "two seconds are too little evidence")
    }

    @Test func fingerprintsMatchAtTheRightOffset() {
        var rng = SystemRandomNumberGenerator()
        let a = (0..<200).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }
        let shifted = Array(a.dropFirst(5)).map { $0 ^ 0b101 }
        #expect(AudioFingerprint.similarity(shifted, a) > 0.9)
        #expect(AudioFingerprint.isSameSound(shifted, a))
        let b = (0..<200).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) }
        #expect(abs(AudioFingerprint.similarity(a, b) - 0.5) < 0.1)
        #expect(AudioFingerprint.words(raw: [1, 0, 0, 0, 0, 0, 0, 128, 9]) == [1, 1 << 31])
    }

    @Test func sceneCutsAreReadFromMetadataPrint() {
        let text = "frame:0    pts:12800  pts_time:1.0\nlavfi.scene_score=0.8\nframe:1    pts:40960  pts_time:3.2\nlavfi.scene_score=0.5\n"
        #expect(SceneCuts.parse(text) == [1000, 3200])
    }

    @Test func probeRejectsWhatThePipelineMustNotTouch() throws {
        let limits = MediaLimits()
        func probe(_ streams: String, duration: String = "12.5") throws(MediaRejection) -> ProbedMedia {
            try Probe.parse(json: Data("{\"streams\":[\(streams)],\"format\":{\"format_name\":\"mov,mp4\",\"duration\":\"\(duration)\"}}".utf8), limits: limits)
        }
        let video = "{\"codec_type\":\"video\",\"codec_name\":\"h264\",\"width\":1920,\"height\":1080,\"avg_frame_rate\":\"30000/1001\",\"side_data_list\":[{\"rotation\":-90}]}"
        let p = try probe(video + ",{\"codec_type\":\"audio\",\"codec_name\":\"aac\"}")
        #expect(p.width == 1080 && p.height == 1920, "a phone's rotation swaps the display size")
        #expect(p.hasAudio && abs(p.fps - 29.97) < 0.01 && p.durationMillis == 12_500)
        func code(_ body: () throws -> ProbedMedia) -> String? {
            do { _ = try body() } catch { return (error as? MediaRejection)?.code ?? "\(error)" }
            return nil
        }
        #expect(code { try probe("{\"codec_type\":\"audio\",\"codec_name\":\"mp3\"}") } == "noVideo")
        #expect(code { try probe(video, duration: "601") } == "tooLong")
        #expect(code { try probe(video, duration: "N/A") } == "noDuration")
        #expect(code { try probe("{\"codec_type\":\"video\",\"codec_name\":\"h264\",\"width\":20000,\"height\":1080}") } == "tooLarge")
        #expect(code { try probe("{\"codec_type\":\"video\",\"codec_name\":\"gif\",\"width\":200,\"height\":200}") } == "unsupportedCodec")
        #expect(code { try Probe.parse(json: Data("not json".utf8), limits: limits) } == "notAVideo")
    }

    @Test func moderationRejectsBlocklistedTagsWordsAndKnownBadFrames() {
        let policy = BlocklistModeration(hashtags: ["banned"], words: ["scam"], badFrameHashes: [0xFFFF_0000_FFFF_0000])
        func verdict(caption: String = "hello", tags: [String] = [], frames: [UInt64] = [1, 2, 3]) -> ModerationVerdict {
            policy.review(ModerationCase(video: 1, creator: 2, caption: caption, hashtags: tags, frameHashes: frames, duplicateOf: 0))
        }
        #expect(verdict() == .allow)
        #expect(verdict(tags: ["fun", "banned"]) == .reject(reason: "the hashtag #banned is not allowed"))
        #expect(verdict(caption: "Free money, no SCAM!") == .reject(reason: "the caption contains the blocked word \"scam\""))
        #expect(verdict(caption: "scampi recipe") == .allow, "words, not substrings")
        let bad: UInt64 = 0xFFFF_0000_FFFF_0001
        #expect(verdict(frames: [bad, bad, bad, 7]) == .reject(reason: "3 frames match known-bad content"))
        #expect(verdict(frames: [bad, 7, 8, 9]) == .allow)
    }
}
