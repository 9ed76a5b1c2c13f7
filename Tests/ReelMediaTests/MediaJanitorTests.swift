import Foundation
import Reel
import ReelTesting
import Testing

@testable import ReelMedia

/// What the media service keeps and deletes (issue 24, item 7): originals nobody keeps, erased creators' files,
/// abandoned uploads, the per-user storage quota; and a queue shared fairly between uploaders (item 4).
@Suite(.enabled(if: hasFFmpeg, "needs ffmpeg"), .serialized) struct MediaJanitorTests {
    func blobFiles(_ dir: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: "\(dir)/blobs")) ?? [])
            .filter { $0.split(separator: "/").last.map { $0.count == 64 } ?? false }
    }

    @Test func refusedAndErasedUploadsLeaveNoFilesAndTakedownsKeepTheirs() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let clip = try makeClip("\(dir)/a.mp4", video: "testsrc2=s=360x640:r=30:d=3", audio: "sine=f=600:d=3")
        let other = try makeClip("\(dir)/b.mp4", video: "mandelbrot=s=360x640:r=25,trim=duration=3")
        let garbage = "\(dir)/garbage.mp4"
        try Data("definitely not a video".utf8).write(to: URL(fileURLWithPath: garbage))
        try await withMedia(mediaConfiguration(dir)) { engine, media in
            let alice = try await engine.registerUser(
                handle: "alice", region: "US", email: "a@example.org", displayName: "A")
            let bob = try await engine.registerUser(
                handle: "bob", region: "US", email: "b@example.org", displayName: "B")
            let later = Date().addingTimeInterval(3600)  // past the 10 minutes an original is protected after a store

            // Failed: its original goes. Rejected while an identical upload is published: the original stays.
            let bad = try await media.ingest(file: garbage, creator: alice, metadata: VideoMetadata(caption: "x"))
            #expect(await media.waitUntilSettled(bad))
            let kept = try await media.ingest(file: clip, creator: bob, metadata: VideoMetadata(caption: "fine"))
            #expect(await media.waitUntilSettled(kept))
            let banned = try await media.ingest(
                file: clip, creator: bob, metadata: VideoMetadata(caption: "x", hashtags: ["forbidden"]))
            #expect(await media.waitUntilSettled(banned))
            #expect(engine.video(banned)?.status == .rejected)
            #expect(blobFiles(dir).count == 2, "garbage and the clip: \(blobFiles(dir))")
            await media.sweep(now: later)
            #expect(
                blobFiles(dir).count == 1,
                "the garbage is gone, the clip a published video keeps stays: \(blobFiles(dir))")

            // A takedown keeps everything (it may be restored); an erasure deletes the creator's files.
            let taken = try await media.ingest(file: other, creator: alice, metadata: VideoMetadata(caption: "mine"))
            #expect(await media.waitUntilSettled(taken))
            try await engine.moderate(
                try engine.moderationSubject(.video, taken), .takedown, reason: "test", moderator: "t")
            await media.sweep(now: later)
            #expect(media.blobs.renditions(of: taken) != nil && blobFiles(dir).count == 2)
            try await engine.eraseUser(alice)
            await engine.waitForViews()
            // Once the media fold has the erasure (it follows the journal on its own thread).
            for _ in 0..<250 where media.blobs.renditions(of: taken) != nil {
                await media.sweep(now: later)
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(media.blobs.renditions(of: taken) == nil, "an erased creator's renditions are deleted")
            #expect(blobFiles(dir).count == 1, "and their original: \(blobFiles(dir))")
            #expect(media.blobs.renditions(of: kept) != nil, "others' files stay")
        }
    }

    @Test func abandonedUploadsAreRemovedAndTheQuotaCountsWhatIsKept() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var c = mediaConfiguration(dir)
        c.media.maxStoredBytesPerUser = 1_000_000
        try await withMedia(c) { engine, media in
            let alice = try await engine.registerUser(
                handle: "alice", region: "US", email: "a@example.org", displayName: "A")
            let (first, session, _) = try await media.beginUpload(creator: alice, byteSize: 600_000)
            do {
                _ = try await media.beginUpload(creator: alice, byteSize: 600_000)
                Issue.record("a second upload over the quota was accepted")
            } catch let e as UploadError {
                #expect(
                    e.code == "storageQuotaExceeded" && e.message.contains("1200000") && e.message.contains("1000000"),
                    "\(e)")
            }
            #expect(media.storedBytes(of: alice) == 600_000)
            // Nobody finished it: a day after its session expired it is removed, and stops counting.
            await media.sweep(now: Date().addingTimeInterval(2 * 24 * 3600))
            await engine.waitForViews()
            #expect(engine.video(first)?.status == .removed)
            #expect((try? media.uploads.session(session.id)) == nil, "the expired session is swept")
            for _ in 0..<100 where media.storedBytes(of: alice) != 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(media.storedBytes(of: alice) == 0)
            _ = try await media.beginUpload(creator: alice, byteSize: 600_000)
            // A fresh upload is not abandoned.
            await media.sweep(now: Date())
            #expect(media.storedBytes(of: alice) == 600_000)
        }
    }

    @Test func theQueueIsSharedFairlyBetweenUploaders() {
        func job(_ video: UInt64, _ creator: UInt64) -> MediaJob {
            MediaJob(
                video: video, creator: creator, blob: "", caption: "", hashtags: [], sound: 0, source: 0,
                sourceKind: "", stage: .transcode)
        }
        let flood = (1...50).map { job($0, 7) } + [job(99, 8)]
        let t0 = ContinuousClock.now
        // Alice (7) just had a job start; Bob (8) never: Bob's one video goes next, not after her fifty.
        #expect(MediaService.fairChoice(flood, runningCreators: [], lastStarted: [7: t0])?.video == 99)
        // With one of Alice's running, Bob goes first whatever the times.
        #expect(
            MediaService.fairChoice(flood, runningCreators: [7], lastStarted: [7: t0, 8: t0 + .seconds(1)])?.video == 99
        )
        // Between two uploaders who both waited, the one who waited longer; within one, the oldest video.
        #expect(
            MediaService.fairChoice(flood, runningCreators: [], lastStarted: [7: t0, 8: t0 + .seconds(1)])?.video == 1)
        #expect(MediaService.fairChoice([], runningCreators: [], lastStarted: [:]) == nil)
    }
}
