import Foundation
import Reel
import ReelJournal
import ReelTesting
import ReelViews
import Testing

/// Erasure as issue 24 asks: everything a person wrote or is identified by (handle, email, display name,
/// comments, captions, creator name and bio) is unreadable afterwards in every file of the data directory and
/// at every moment of time travel; their comments, follows and followers leave the counts; the views rebuilt
/// from the journal equal the live ones, byte for byte.
@Suite struct ErasureTests {
    /// Strings only the erased person wrote or is known by (the raw scan looks for each).
    static let aliceSecrets = [
        "alicezq", "alice@secret.example", "Alice Quixote", "Alice Studio Zyx", "xyzzy bio", "plugh caption", "quux remark",
        "zorkmid", "grue word",
    ]

    @Test func erasureLeavesNothingReadableAndCountsStayConsistent() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let config = testConfiguration(dir)
        // First run: the people, their videos, comments and follows; a clean shutdown writes snapshots and a
        // views checkpoint that holds Alice's rows in its history.
        let (alice, bob, carol, videos, beforeErasure) = try await withRunningEngine(config) { engine in
            let alice = try await engine.registerUser(handle: "alicezq", region: "GB", email: "alice@secret.example", displayName: "Alice Quixote")
            let bob = try await engine.registerUser(handle: "bobkeeps", region: "GB", email: "bob@example.org", displayName: "Bob Keeps")
            let carol = try await engine.registerUser(handle: "carolfollows", region: "GB", email: "carol@example.org", displayName: "Carol")
            try await engine.updateCreatorProfile(creator: alice, name: "Alice Studio Zyx", bio: "a xyzzy bio")
            try await engine.setCommentFilter(creator: alice, words: ["zorkmid", "grue word"])
            var videos: [UInt64] = []
            for i in 0..<2 {
                videos.append(try await engine.addPublishedVideo(
                    creator: alice, metadata: VideoMetadata(caption: "the plugh caption \(i)", hashtags: ["cats"]), durationMillis: 10_000))
            }
            let bobSession = try await engine.startSession(viewer: bob, context: SessionContext(region: "GB"))
            let aliceSession = try await engine.startSession(viewer: alice, context: SessionContext(region: "GB"))
            _ = try await engine.comment(session: bobSession, video: videos[0], text: "bob says frobnitz", at: nil)
            _ = try await engine.comment(session: aliceSession, video: videos[0], text: "a quux remark", at: nil)
            try await engine.follow(user: carol, creator: alice)
            try await engine.follow(user: alice, creator: bob)
            try await settle(engine)
            #expect(engine.video(videos[0])?.counters.comments == 2)
            #expect(engine.user(bob)?.followers == 1)
            #expect(engine.user(carol)?.following == 1)
            return (alice, bob, carol, videos, engine.status.journalPosition)
        }

        // Second run: erase Alice (twice: a retry after a crash must finish, not fail).
        try await withRunningEngine(config) { engine in
            try await engine.eraseUser(alice)
            try await engine.eraseUser(alice)
            try await settle(engine)
            #expect(engine.user(alice) == nil)
            #expect(videos.allSatisfy { engine.video($0)?.status == .removed })
            #expect(engine.video(videos[0])?.counters.comments == 1, "Alice's comment no longer counts")
            #expect(engine.user(bob)?.followers == 0, "Alice's follow of Bob ended")
            #expect(engine.user(carol)?.following == 0, "Carol's follow of Alice ended")
            #expect(try engine.search("alicezq").isEmpty)
            #expect(try engine.search("plugh").isEmpty)
        }

        // Third run: what a restart loads (after the history was purged) is what the fold made, and time travel
        // to before the erasure answers that Alice is erased.
        try await withRunningEngine(config) { engine in
            #expect(engine.video(videos[0])?.counters.comments == 1)
            #expect(engine.user(carol)?.following == 0)
            let before = Moment.position(beforeErasure - 1)
            let erased = #"{"erased":true}"#
            #expect(try engine.audit(.user, alice, at: before).state.rendered == erased)
            #expect(try engine.audit(.creator, alice, at: before).state.rendered == erased)
            for table in ["catalogue.user", "catalogue.creator", "social.following", "social.followers", "counters.person"] {
                let value = try engine.audit(view: table, key: alice, at: before)
                #expect(value == nil || value?.rendered == erased, "\(table): \(value?.rendered ?? "nil")")
            }
            let carolFollowed = try engine.audit(view: "social.following", key: carol, at: before)
            #expect(carolFollowed?.rendered == "[]", "Alice leaves others' lists at every moment")
            let video = try engine.audit(.video, videos[0], at: before).state.rendered
            #expect(!video.contains("plugh"), "\(video)")
            let bobState = try engine.audit(.user, bob, at: before).state.rendered
            #expect(bobState.contains("bobkeeps"), "others' data is still there: \(bobState)")
        }

        // The raw files: no byte sequence of Alice's text anywhere (others' data is, which shows the scan works)...
        var found: [String: [String]] = [:]
        for f in try FileManager.default.subpathsOfDirectory(atPath: dir) {
            guard let data = FileManager.default.contents(atPath: "\(dir)/\(f)") else { continue }
            for needle in Self.aliceSecrets + ["bobkeeps"] where data.range(of: Data(needle.utf8)) != nil {
                found[needle, default: []].append(f)
            }
        }
        for secret in Self.aliceSecrets { #expect(found[secret] == nil, "\(secret) readable in \(found[secret] ?? [])") }
        #expect(found["bobkeeps"] != nil, "the scan finds a live handle (views or search)")

        // ...nor in the journal's decompressed frames, read as an attacker with the key store would.
        let keys = try KeyStore(path: "\(dir)/keys.sqlite")
        var journalConfig = JournalConfiguration(directory: "\(dir)/journal")
        journalConfig.cipher = keys
        journalConfig.readOnly = true
        let journal = try Journal.open(journalConfig)
        defer { journal.close() }
        var cursor = journal.events(from: 0, to: journal.nextPosition, decryptPersonal: true)
        var readable: [String] = []
        var bobComment = false
        while let e = try cursor.next() {
            var bytes = e.payload
            if case .plain(let p) = e.personal { bytes += p.bytes }
            if case .sealed(_, let s) = e.personal { bytes += s }
            let data = Data(bytes)
            for secret in Self.aliceSecrets where data.range(of: Data(secret.utf8)) != nil { readable.append("\(secret) at \(e.position)") }
            if data.range(of: Data("frobnitz".utf8)) != nil { bobComment = true }
        }
        #expect(readable.isEmpty, "\(readable)")
        #expect(bobComment, "Bob's comment is still readable")

        // The views rebuilt from the journal equal what the live fold left on disk, byte for byte.
        let rebuilt = try ViewTimeTravel(journal: journal, storePath: nil).rebuild(toPosition: journal.nextPosition - 1)
        let onDisk = try ViewStore(path: "\(dir)/views.sqlite")
        #expect(try rebuilt.digest() == onDisk.digest())
        _ = bob
    }
}
