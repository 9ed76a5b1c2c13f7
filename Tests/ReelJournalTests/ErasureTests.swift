import Foundation
import ReelDomain
import ReelJournal
import Testing

@Suite struct ErasureTests {
    @Test func personalDataLandsOnItsOwnEventInAMixedAppend() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let j = try Journal.open(configWithKeys(in: dir))
        // Plain, personal, plain, personal across two streams in one append: each sealed part must stay with
        // its own event (the journal allocates the sealed list only once a personal event appears).
        func registered(_ u: UInt64) -> NewEvent {
            UserRegistered(user: u, handle: "h\(u)", region: "DE", occurredAt: .zero)
                .newEvent(personal: PersonalData(subject: u, bytes: PersonalProfile(email: "u\(u)@example.org", displayName: "U\(u)").encode()))
        }
        try await j.append([
            StreamWrite(stream: .session(1), expected: .any, events: [watch(0), watch(1)]),
            StreamWrite(stream: .user(5), expected: .any, events: [registered(5)]),
            StreamWrite(stream: .session(2), expected: .any, events: [watch(2)]),
            StreamWrite(stream: .user(6), expected: .any, events: [registered(6)]),
        ])
        #expect(try j.readStream(.session(1), decryptPersonal: true).allSatisfy { $0.personal == nil })
        #expect(try j.readStream(.session(2), decryptPersonal: true).allSatisfy { $0.personal == nil })
        for u in UInt64(5)...6 {
            let e = try j.readStream(.user(u), decryptPersonal: true)[0]
            #expect(try PersonalProfile.decode(e.personal!.plainBytes!).email == "u\(u)@example.org")
        }
        j.close()
    }

    @Test func deletingAKeyErasesPersonalDataButTheChainStillVerifies() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let keys = try KeyStore(path: "\(dir)/keys.sqlite")
        var config = JournalConfiguration(directory: "\(dir)/journal")
        config.cipher = keys
        let j = try Journal.open(config)
        let email = "erase-me-\(UUID().uuidString)@example.org"
        for u in UInt64(1)...2 {
            let reg = UserRegistered(user: u, handle: "h\(u)", region: "DE", occurredAt: .zero)
            let profile = PersonalProfile(email: u == 1 ? email : "keep@example.org", displayName: "Name \(u)")
            try await j.append([reg.newEvent(personal: PersonalData(subject: u, bytes: profile.encode()))], to: .user(u))
        }
        let before = try j.readStream(.user(1), decryptPersonal: true)[0]
        #expect(try PersonalProfile.decode(before.personal!.plainBytes!).email == email)
        let head = j.headHash

        // The plain text is never on disk, not even compressed.
        let segment = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/journal/" + "00000000000000000000.seg"))
        #expect(segment.range(of: Data(email.utf8)) == nil)

        try keys.erase(subject: 1, at: .zero)
        let after = try j.readStream(.user(1), decryptPersonal: true)[0]
        #expect(after.personal == .erased(subject: 1))
        #expect(after.payload == before.payload, "the public part stays")
        let other = try j.readStream(.user(2), decryptPersonal: true)[0]
        #expect(try PersonalProfile.decode(other.personal!.plainBytes!).email == "keep@example.org")
        #expect(j.verify().ok && j.headHash == head)

        // New personal data for an erased person is refused.
        let again = UserRegistered(user: 1, handle: "h1", region: "DE", occurredAt: .zero)
        await #expect(throws: JournalError.self) {
            try await j.append([again.newEvent(personal: PersonalData(subject: 1, bytes: [1]))], to: .user(1))
        }
        j.close()

        // A fresh process (a new key store handle) cannot read it either, and the key's bytes are gone.
        let reopened = try KeyStore(path: "\(dir)/keys.sqlite")
        #expect(try reopened.open(subject: 1, sealed: [UInt8](repeating: 0, count: 40)) == nil)
        #expect(try reopened.isErased(subject: 1))
    }

    @Test func tamperedCiphertextIsAnErrorNotGarbage() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let keys = try KeyStore(path: "\(dir)/keys.sqlite")
        var sealed = try keys.seal(PersonalData(subject: 9, bytes: Array("secret".utf8)))
        #expect(try keys.open(subject: 9, sealed: sealed) == Array("secret".utf8))
        sealed[sealed.count - 1] ^= 1
        #expect(throws: JournalError.self) { try keys.open(subject: 9, sealed: sealed) }
    }

    @Test func upcastersBringOldVersionsToTheCurrentShape() throws {
        let chain = UpcasterChain([
            Upcaster(type: "t", fromVersion: 1) { $0 + [2] },
            Upcaster(type: "t", fromVersion: 2) { $0 + [3] },
        ])
        var e = RecordedEvent(
            position: 0, stream: .video(1), sequence: 1, recordedAt: .zero, type: "t", version: 1, metadata: .init(),
            payload: [1], personal: nil)
        try chain.upcast(&e)
        #expect(e.version == 3 && e.payload == [1, 2, 3])
        var other = e
        other.type = "u"
        other.version = 1
        try chain.upcast(&other)
        #expect(other.version == 1)
    }

    /// A journal configuration in `dir` whose personal data is sealed with a key store beside it.
    private func configWithKeys(in dir: String) throws -> JournalConfiguration {
        var config = JournalConfiguration(directory: "\(dir)/journal")
        config.cipher = try KeyStore(path: "\(dir)/keys.sqlite")
        return config
    }
}
