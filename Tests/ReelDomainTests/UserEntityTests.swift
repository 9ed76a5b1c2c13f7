import ReelDomain
import ReelJournal
import ReelRuntime
import Testing

@Suite struct UserEntityTests {
    let me: UInt64 = 1
    let creator: UInt64 = 2
    let lookup = StaticLookup(users: [1, 2, 3])

    var registered: [ReelEvent] {
        [.userRegistered(UserRegistered(user: me, handle: "ana", region: "PT", occurredAt: at(0)), PersonalProfile(email: "a@x.pt", displayName: "Ana"))]
    }
    func follow(_ c: UInt64, session: UInt64 = 9) -> ReelEvent { .followed(CreatorFollowed(user: me, creator: c, session: session, occurredAt: at(1))) }
    func block(_ c: UInt64) -> ReelEvent { .blocked(CreatorBlocked(user: me, creator: c, session: 9, occurredAt: at(1))) }

    @Test func registerEmitsPublicFactsAndSealedProfile() throws {
        let s = given(UserEntity.self, id: me, [])
        #expect(try UserEntity.decide(.register(handle: "ana", region: "PT", email: "a@x.pt", displayName: "Ana", at: at(0)), state: s, context: lookup)
            == registered)
        let after = given(UserEntity.self, id: me, registered)
        #expect(after.registered && after.handle == "ana" && after.region == "PT" && after.registeredAt == at(0))
    }

    @Test func registerTwiceIsRejected() {
        expectRejected("alreadyRegistered", UserEntity.self, .register(handle: "bob", region: "PT", email: "", displayName: "", at: at(1)),
                       state: given(UserEntity.self, id: me, registered), context: lookup)
    }

    @Test(arguments: ["", "Ana", "ana-b", "ana b", "ána", String(repeating: "a", count: 31)])
    func invalidHandles(handle: String) {
        let fresh = given(UserEntity.self, id: me, [])
        expectRejected("invalidHandle", UserEntity.self, .register(handle: handle, region: "PT", email: "", displayName: "", at: at(0)), state: fresh, context: lookup)
        expectRejected("invalidHandle", UserEntity.self, .changeProfile(handle: handle, region: "PT", email: nil, displayName: nil, at: at(0)),
                       state: given(UserEntity.self, id: me, registered), context: lookup)
    }

    /// Each personal field is bounded in bytes (about 1 MiB each was accepted into the journal: issue 24).
    @Test func personalFieldsAndRegionAreBounded() {
        let fresh = given(UserEntity.self, id: me, [])
        let huge = String(repeating: "x", count: 1 << 20)
        for (region, email, name) in [(huge, "a@x.pt", "Ana"), ("PT", huge + "@x.pt", "Ana"), ("PT", "a@x.pt", huge),
                                      ("PT", "a@x.pt", String(repeating: "a\u{0301}\u{0301}\u{0301}\u{0301}\u{0301}", count: 50))] {
            expectRejected("invalidProfile", UserEntity.self, .register(handle: "ana", region: region, email: email, displayName: name, at: at(0)),
                           state: fresh, context: lookup)
            expectRejected("invalidProfile", UserEntity.self, .changeProfile(handle: "ana", region: region, email: email, displayName: name, at: at(1)),
                           state: given(UserEntity.self, id: me, registered), context: lookup)
        }
    }

    @Test func validHandleCharacters() throws {
        let handle = "a_b.c9" + String(repeating: "z", count: 24)
        #expect(try UserEntity.decide(.register(handle: handle, region: "PT", email: "", displayName: "", at: at(0)),
                                      state: given(UserEntity.self, id: me, []), context: lookup).count == 1)
    }

    @Test func everyCommandOnAnUnregisteredUserIsRejected() {
        let fresh = given(UserEntity.self, id: me, [])
        let commands: [UserEntity.Command] = [
            .changeProfile(handle: "ana", region: "PT", email: nil, displayName: nil, at: at(1)), .erase(at: at(1)),
            .follow(creator: creator, session: 9, at: at(1)), .unfollow(creator: creator, session: 9, at: at(1)),
            .block(creator: creator, session: 9, at: at(1)),
        ]
        for c in commands { expectRejected("unknownUser", UserEntity.self, c, state: fresh, context: lookup) }
    }

    @Test func changeProfile() throws {
        let s = given(UserEntity.self, id: me, registered)
        let changed = UserProfileChanged(user: me, handle: "ana.b", region: "ES", occurredAt: at(2))
        #expect(try UserEntity.decide(.changeProfile(handle: "ana.b", region: "ES", email: nil, displayName: nil, at: at(2)), state: s, context: lookup)
            == [.userProfileChanged(changed, nil)])
        #expect(try UserEntity.decide(.changeProfile(handle: "ana.b", region: "ES", email: "b@x", displayName: "B", at: at(2)), state: s, context: lookup)
            == [.userProfileChanged(changed, PersonalProfile(email: "b@x", displayName: "B"))])
        // Nothing changed: nothing to record.
        #expect(try UserEntity.decide(.changeProfile(handle: "ana", region: "PT", email: nil, displayName: nil, at: at(2)), state: s, context: lookup) == [])
        expectRejected("incompleteProfile", UserEntity.self, .changeProfile(handle: "ana", region: "PT", email: "b@x", displayName: nil, at: at(2)),
                       state: s, context: lookup)
        let after = given(UserEntity.self, id: me, registered + [.userProfileChanged(changed, nil)])
        #expect(after.handle == "ana.b" && after.region == "ES")
    }

    @Test func erasedUserRejectsEverything() throws {
        let s = given(UserEntity.self, id: me, registered + [follow(creator), block(3)])
        #expect(try UserEntity.decide(.erase(at: at(5)), state: s, context: lookup) == [.userErased(UserErased(user: me, occurredAt: at(5)))])
        let erased = given(UserEntity.self, id: me, registered + [follow(creator), block(3), .userErased(UserErased(user: me, occurredAt: at(5)))])
        #expect(erased.erased && erased.following.isEmpty && erased.blocked.isEmpty && erased.handle.isEmpty)
        let commands: [UserEntity.Command] = [
            .register(handle: "ana", region: "PT", email: "", displayName: "", at: at(6)),
            .changeProfile(handle: "ana", region: "PT", email: nil, displayName: nil, at: at(6)), .erase(at: at(6)),
            .follow(creator: creator, session: 9, at: at(6)), .unfollow(creator: creator, session: 9, at: at(6)),
            .block(creator: creator, session: 9, at: at(6)),
        ]
        for c in commands { expectRejected("erased", UserEntity.self, c, state: erased, context: lookup) }
    }

    @Test func followAndUnfollow() throws {
        let s = given(UserEntity.self, id: me, registered)
        #expect(try UserEntity.decide(.follow(creator: creator, session: 9, at: at(1)), state: s, context: lookup) == [follow(creator)])
        let following = given(UserEntity.self, id: me, registered + [follow(creator)])
        #expect(following.following == [creator])
        // Idempotent both ways.
        #expect(try UserEntity.decide(.follow(creator: creator, session: 9, at: at(2)), state: following, context: lookup) == [])
        #expect(try UserEntity.decide(.unfollow(creator: 3, session: 9, at: at(2)), state: following, context: lookup) == [])
        #expect(try UserEntity.decide(.unfollow(creator: creator, session: 9, at: at(2)), state: following, context: lookup)
            == [.unfollowed(CreatorUnfollowed(user: me, creator: creator, session: 9, occurredAt: at(2)))])
        let unfollowed = given(UserEntity.self, id: me, registered + [follow(creator), .unfollowed(CreatorUnfollowed(user: me, creator: creator, session: 9, occurredAt: at(2)))])
        #expect(unfollowed.following.isEmpty)
    }

    @Test func followsStaySorted() {
        let s = given(UserEntity.self, id: me, registered + [follow(30), follow(5), follow(17), follow(5)])
        #expect(s.following == [5, 17, 30])
    }

    @Test func cannotFollowSelf() {
        expectRejected("cannotFollowSelf", UserEntity.self, .follow(creator: me, session: 9, at: at(1)),
                       state: given(UserEntity.self, id: me, registered), context: lookup)
    }

    @Test func unknownCreatorSaysTheCheckReadTheCatalogue() {
        let r = expectRejected("unknownCreator", UserEntity.self, .follow(creator: 99, session: 9, at: at(1)),
                               state: given(UserEntity.self, id: me, registered), context: lookup)
        #expect(r?.message.contains("catalogue view") == true)
        expectRejected("unknownCreator", UserEntity.self, .block(creator: 99, session: 9, at: at(1)),
                       state: given(UserEntity.self, id: me, registered), context: lookup)
    }

    @Test func blockEndsAFollowWithOneEvent() throws {
        let s = given(UserEntity.self, id: me, registered + [follow(creator)])
        #expect(try UserEntity.decide(.block(creator: creator, session: 9, at: at(1)), state: s, context: lookup) == [block(creator)])
        let blocked = given(UserEntity.self, id: me, registered + [follow(creator), block(creator)])
        #expect(blocked.following.isEmpty && blocked.blocked == [creator])
        expectRejected("creatorBlocked", UserEntity.self, .follow(creator: creator, session: 9, at: at(2)), state: blocked, context: lookup)
        #expect(try UserEntity.decide(.block(creator: creator, session: 9, at: at(2)), state: blocked, context: lookup) == [])
        expectRejected("cannotBlockSelf", UserEntity.self, .block(creator: me, session: 9, at: at(2)), state: blocked, context: lookup)
    }

    @Test func followsAreCapped() throws {
        let many = (0..<UInt64(UserEntity.maxFollows)).map { follow(100 + $0) }
        let s = given(UserEntity.self, id: me, registered + many)
        #expect(s.following.count == UserEntity.maxFollows)
        lookup.addUser(50_000)
        expectRejected("tooManyFollows", UserEntity.self, .follow(creator: 50_000, session: 9, at: at(2)), state: s, context: lookup)
        #expect(try UserEntity.decide(.follow(creator: 100, session: 9, at: at(2)), state: s, context: lookup) == [])
    }

    @Test func evolveIgnoresOtherKindsOfEvents() {
        let s = given(UserEntity.self, id: me, registered)
        let other = given(UserEntity.self, id: me, registered + [
            .sessionStarted(SessionStarted(session: 9, viewer: me, region: "ES", language: "es", device: "ios", network: "wifi", occurredAt: at(1))),
            .published(VideoPublished(video: 5, occurredAt: at(1))),
            .creatorProfileUpdated(CreatorProfileUpdated(creator: me, name: "x", bio: "", occurredAt: at(1))),
        ])
        #expect(other == s)
    }

    @Test func metadataNamesActorAndSession() {
        let s = given(UserEntity.self, id: me, registered)
        #expect(UserEntity.metadata(for: .follow(creator: creator, session: 9, at: at(1))) == EventMetadata(correlationID: 9))
        #expect(UserEntity.metadata(for: .follow(creator: creator, session: 9, at: at(1)), state: s) == EventMetadata(correlationID: 9, actorID: me))
        #expect(UserEntity.metadata(for: .erase(at: at(1)), state: s) == EventMetadata(actorID: me))
    }

    @Test func stateCodecRoundTrip() throws {
        try expectCodecRoundTrip(UserEntity.self, given(UserEntity.self, id: me, []))
        try expectCodecRoundTrip(UserEntity.self, given(UserEntity.self, id: me, registered + [follow(7), follow(3), block(12)]))
        try expectCodecRoundTrip(UserEntity.self, given(UserEntity.self, id: me, registered + [.userErased(UserErased(user: me, occurredAt: at(9)))]))
    }

    @Test func decodeRefusesUnsortedFollows() {
        var s = given(UserEntity.self, id: me, registered)
        s.following = [5, 3]
        #expect(throws: JournalError.self) { try UserEntity.decodedState(UserEntity.encodedState(s)) }
    }
}
