import ReelDomain
import ReelJournal
import ReelRuntime
import Testing

@Suite struct CreatorEntityTests {
    let creator: UInt64 = 2
    let lookup = StaticLookup(users: [2])
    var profiled: [ReelEvent] { [.creatorProfileUpdated(CreatorProfileUpdated(creator: creator, name: "Ana", bio: "cats", occurredAt: at(0)))] }
    func state(_ events: [ReelEvent]) -> CreatorEntity.State { given(CreatorEntity.self, id: creator, events) }

    @Test func firstUpdateCreatesTheProfile() throws {
        #expect(try CreatorEntity.decide(.updateProfile(name: "Ana", bio: "cats", at: at(0)), state: state([]), context: lookup) == profiled)
        let s = state(profiled)
        #expect(s.exists && s.name == "Ana" && s.bio == "cats")
    }

    @Test func unchangedProfileRecordsNothing() throws {
        #expect(try CreatorEntity.decide(.updateProfile(name: "Ana", bio: "cats", at: at(1)), state: state(profiled), context: lookup) == [])
        #expect(try CreatorEntity.decide(.updateProfile(name: "Ana", bio: "dogs", at: at(1)), state: state(profiled), context: lookup)
            == [.creatorProfileUpdated(CreatorProfileUpdated(creator: creator, name: "Ana", bio: "dogs", occurredAt: at(1)))])
    }

    @Test func creatorMustBeARegisteredUser() {
        let r = expectRejected("unknownUser", CreatorEntity.self, .updateProfile(name: "X", bio: "", at: at(0)),
                               state: given(CreatorEntity.self, id: 99, []), context: lookup)
        #expect(r?.message.contains("catalogue view") == true)
    }

    @Test func profileLimits() throws {
        #expect(try CreatorEntity.decide(.updateProfile(name: String(repeating: "n", count: 50), bio: String(repeating: "b", count: 300), at: at(0)),
                                         state: state([]), context: lookup).count == 1)
        for (name, bio) in [("", ""), ("   ", ""), (String(repeating: "n", count: 51), ""), ("Ana", String(repeating: "b", count: 301))] {
            expectRejected("invalidProfile", CreatorEntity.self, .updateProfile(name: name, bio: bio, at: at(0)), state: state([]), context: lookup)
        }
    }

    @Test func evolveIgnoresOtherKindsOfEvents() {
        let other = state(profiled + [
            .userRegistered(UserRegistered(user: creator, handle: "x", region: "PT", occurredAt: at(1)), nil),
            .uploadStarted(UploadStarted(video: 5, creator: creator, byteSize: 1, occurredAt: at(1))),
        ])
        #expect(other == state(profiled))
    }

    @Test func metadataNamesTheCreator() {
        #expect(CreatorEntity.metadata(for: .updateProfile(name: "A", bio: "", at: at(0)), state: state([])) == EventMetadata(actorID: creator))
    }

    @Test func stateCodecRoundTrip() throws {
        try expectCodecRoundTrip(CreatorEntity.self, state([]))
        try expectCodecRoundTrip(CreatorEntity.self, state(profiled))
    }
}
