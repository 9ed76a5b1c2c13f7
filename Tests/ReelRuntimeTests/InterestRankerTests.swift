import Foundation
import ReelDomain
import ReelJournal
import ReelRecommend
import ReelRuntime
import ReelViews
import ReelWorkloads
import Testing

@Suite struct InterestRankerTests {
    @Test func pagesAreDeterministicDiverseUnseenAndRespectTheDeadline() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let journal = try Journal.open(try .sealing(directory: "\(dir)/journal", keys: "\(dir)/keys.sqlite"))
        try await DomainWorkload(users: 100, creators: 30, videos: 600).write(to: journal, sessionEvents: 5_000, batch: 64)
        let store = try ViewStore(path: nil)
        let runner = ProjectionRunner(journal: journal, projection: store)
        try runner.catchUp()
        let at = journal.recordedAt(position: journal.nextPosition - 1)!
        let request = FeedRequest(viewer: 7, recentlyServed: [], count: 10, at: at, seed: 42)
        let page = try #require(runner.read { InterestRanker.select(in: $0, request) })
        #expect(page.count == 10)
        #expect(runner.read { InterestRanker.select(in: $0, request) } == page, "same views, request and seed: same page")
        let seen = runner.read { $0.state.seen[7] }
        #expect(page.allSatisfy { !(seen?.contains($0.video) ?? false) })
        // No creator twice within five items.
        let creators = runner.read { s in page.map { s.state.videos[$0.video]!.creator } }
        for i in creators.indices { #expect(!creators[max(0, i - 4)..<i].contains(creators[i])) }
        // A deadline already passed: no page, the engine falls back.
        #expect(runner.read { InterestRanker.select(in: $0, request, deadline: .now - .seconds(1)) } == nil)
        journal.close()
    }
}
