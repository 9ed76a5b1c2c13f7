import ReelDomain
import ReelJournal
import ReelRuntime
import Testing

@Suite struct ModerationCaseEntityTests {
    let video: UInt64 = 30
    let creator: UInt64 = 3
    let lookup = StaticLookup(
        users: [1, 2, 3], videos: [30: VideoInfo(status: .published, creator: 3, durationMillis: 1_000)])
    func state(_ events: [ReelEvent]) -> ModerationCaseEntity.State {
        given(ModerationCaseEntity.self, id: video, events)
    }
    func report(_ reporter: UInt64, _ reason: String = "spam", _ t: Int64 = 0) -> ModerationCaseEntity.Command {
        .report(reporter: reporter, target: .video, video: video, subject: creator, reason: reason, at: at(t))
    }
    func decide(_ action: ModerationAction, _ target: ModerationTarget = .video, _ t: Int64 = 5)
        -> ModerationCaseEntity.Command
    {
        .decide(
            target: target, video: video, subject: creator, action: action, reason: "why", moderator: "ana", at: at(t))
    }
    func run(_ commands: [ModerationCaseEntity.Command]) throws -> [ReelEvent] {
        var events: [ReelEvent] = []
        for c in commands { events += try ModerationCaseEntity.decide(c, state: state(events), context: lookup) }
        return events
    }

    @Test func aReporterCountsOncePerRoundOfReview() throws {
        let events = try run([report(1), report(1, "hate"), report(2)])
        #expect(events.count == 2)
        let s = state(events)
        #expect(s.status == .open && s.reports == 2 && s.reporters == [1, 2])
        // After a decision, a new round: the same reporter counts again (unless it was taken down).
        let afterDismiss = try ModerationCaseEntity.decide(decide(.dismiss), state: state(events), context: lookup)
        #expect(afterDismiss.count == 1 && state(events + afterDismiss).status == .dismissed)
        #expect(
            try ModerationCaseEntity.decide(report(1), state: state(events + afterDismiss), context: lookup).count == 1)
        let down = events + (try ModerationCaseEntity.decide(decide(.takedown), state: state(events), context: lookup))
        #expect(
            try ModerationCaseEntity.decide(report(1), state: state(down), context: lookup).isEmpty,
            "taken down: nothing to review")
    }

    @Test func theRulesOfEachDecision() throws {
        let open = try run([report(1)])
        expectRejected("ownContent", ModerationCaseEntity.self, report(creator), state: state([]), context: lookup)
        expectRejected(
            "invalidReason", ModerationCaseEntity.self, report(1, "boring"), state: state([]), context: lookup)
        expectRejected("unknownUser", ModerationCaseEntity.self, report(77), state: state([]), context: lookup)
        expectRejected(
            "invalidTransition", ModerationCaseEntity.self, decide(.restore), state: state(open), context: lookup)
        expectRejected(
            "invalidTransition", ModerationCaseEntity.self, decide(.approve), state: state(open), context: lookup)
        expectRejected(
            "invalidTarget", ModerationCaseEntity.self, decide(.takedown, .account), state: state(open), context: lookup
        )
        let down = open + (try ModerationCaseEntity.decide(decide(.takedown), state: state(open), context: lookup))
        #expect(
            try ModerationCaseEntity.decide(decide(.takedown), state: state(down), context: lookup).isEmpty,
            "a retry is no second decision")
        expectRejected(
            "invalidTransition", ModerationCaseEntity.self, decide(.dismiss), state: state(down), context: lookup)
        let restored = down + (try ModerationCaseEntity.decide(decide(.restore), state: state(down), context: lookup))
        #expect(state(restored).status == .restored)
        // A comment's removal is final.
        let comment = ModerationCaseEntity.Command.decide(
            target: .comment, video: video, subject: 1, action: .restore, reason: "x", moderator: "m", at: at(1))
        expectRejected(
            "invalidTransition", ModerationCaseEntity.self, comment, state: given(ModerationCaseEntity.self, id: 9, []),
            context: lookup)
        // A held upload is approved or taken down, never dismissed.
        let held = try run([.hold(creator: creator, similarTo: 12, at: at(0))])
        #expect(state(held).status == .held && state(held).similarTo == 12)
        expectRejected(
            "invalidTransition", ModerationCaseEntity.self, decide(.dismiss), state: state(held), context: lookup)
        #expect(try ModerationCaseEntity.decide(decide(.approve), state: state(held), context: lookup).count == 1)
        let reportedWhileHeld = held + (try ModerationCaseEntity.decide(report(1), state: state(held), context: lookup))
        #expect(state(reportedWhileHeld).status == .held, "a report does not release a held upload")
    }

    @Test func snapshotsRoundTrip() throws {
        try expectCodecRoundTrip(ModerationCaseEntity.self, state(try run([report(1), report(2, "hate")])))
        try expectCodecRoundTrip(ModerationCaseEntity.self, state([]))
        try expectCodecRoundTrip(
            ModerationCaseEntity.self, state(try run([.hold(creator: creator, similarTo: 12, at: at(0))])))
    }
}

@Suite struct CommentFilterTests {
    @Test func wordsMatchWholeWordsAndPhrasesAnywhere() {
        #expect(CommentFilter.firstMatch(in: "What an IDIOT!", words: ["idiot"]) == "idiot")
        #expect(CommentFilter.firstMatch(in: "Ídiot", words: ["idiot"]) == "idiot", "accents are folded")
        #expect(CommentFilter.firstMatch(in: "idiotic", words: ["idiot"]) == nil, "whole words only")
        #expect(CommentFilter.firstMatch(in: "please, go   away.", words: ["go away"]) == "go away")
        #expect(CommentFilter.firstMatch(in: "go on, away", words: ["go away"]) == nil)
        #expect(CommentFilter.firstMatch(in: "anything", words: []) == nil)
        #expect(CommentFilter.firstMatch(in: "anything", words: ["", "  "]) == nil)
    }

    @Test func listsAreNormalisedWithinLimits() throws {
        #expect(try CommentFilter.normalised([" a ", "a", "", "b c"]).get() == ["a", "b c"])
        #expect((try? CommentFilter.normalised([String(repeating: "x", count: 51)]).get()) == nil)
        #expect((try? CommentFilter.normalised(["two\nlines"]).get()) == nil)
        #expect((try? CommentFilter.normalised((0..<101).map { "w\($0)" }).get()) == nil)
    }
}
