import ReelRecommend
import Testing

/// The pipeline's last stage: places filled one by one under the diversity rules and their prices.
@Suite struct PageAssemblyTests {
    /// A video by `creator` with main hashtag `tag` (sounds distinct unless given).
    static func item(_ creator: UInt64, tag: UInt64?, score: Double, sound: UInt64 = 0) -> PageAssembly.Item {
        PageAssembly.Item(look: .init(creator: creator, sound: sound, mainTag: tag), score: score)
    }

    let assembly = PageAssembly(window: 5, hashtagWindow: 0, hashtagRepeatSeconds: 100, exploreEvery: 0)

    @Test func aRepeatedHashtagLosesOnlyWhenTheGapIsBelowItsPrice() {
        // Three of hashtag 1 scored 500, 480, 460; one of hashtag 2 at 420 (gap 60 < price 100); one of
        // hashtag 3 at 200 (gap 260 > price).
        let items = [
            Self.item(1, tag: 1, score: 500), Self.item(2, tag: 1, score: 480), Self.item(3, tag: 1, score: 460),
            Self.item(4, tag: 2, score: 420), Self.item(5, tag: 3, score: 200),
        ]
        let page = assembly.assemble(count: 5, items: items, ranked: [0, 1, 2, 3, 4], exploring: [], recent: [])
        // 500 first; then 420 of hashtag 2 beats 480 − 100; then 480 − 100 = 380 beats 200 (hashtag 3, free);
        // then 460 − 100 = 360 beats 200; the last place is hashtag 3.
        #expect(page == [0, 3, 1, 2, 4])
        // Without a price the order is the score's.
        var free = assembly
        free.hashtagRepeatSeconds = 0
        #expect(
            free.assemble(count: 5, items: items, ranked: [0, 1, 2, 3, 4], exploring: [], recent: []) == [
                0, 1, 2, 3, 4,
            ])
    }

    @Test func theWindowReachesBackIntoThePreviousPage() {
        let items = [Self.item(7, tag: 1, score: 900), Self.item(8, tag: 2, score: 100)]
        // The session's last page ended with creator 7: its next page does not open with creator 7 again.
        let recent = [PageAssembly.Look(creator: 7, sound: 0, mainTag: 9)]
        let page = assembly.assemble(count: 2, items: items, ranked: [0, 1], exploring: [], recent: recent)
        #expect(page == [1, 0])
        // Five other videos later, creator 7 may come back.
        let older = recent + (10..<15).map { PageAssembly.Look(creator: $0, sound: 0, mainTag: 20 + $0) }
        #expect(assembly.assemble(count: 2, items: items, ranked: [0, 1], exploring: [], recent: older) == [0, 1])
    }

    @Test func creatorsAndSoundsAreHardRulesRelaxedOnlyWhenNothingElseIsLeftSoundFirst() {
        let items = [
            Self.item(1, tag: 1, score: 900, sound: 5), Self.item(1, tag: 2, score: 800),
            Self.item(2, tag: 3, score: 10, sound: 5), Self.item(3, tag: 4, score: 1),
        ]
        let page = assembly.assemble(count: 4, items: items, ranked: [0, 1, 2, 3], exploring: [], recent: [])
        // Item 1 (same creator) and item 2 (same sound) wait behind a score of 1; then the sound rule goes first
        // (item 2, another creator), and only then the creator rule (item 1).
        #expect(page == [0, 3, 2, 1])
    }

    @Test func explorationTakesEveryThirdPlaceAndAvoidsRepeatsWhenItCan() {
        var exploring = assembly
        exploring.exploreEvery = 3
        let ranked: [PageAssembly.Item] = (0..<8).map { (k: Int) -> PageAssembly.Item in
            let id = UInt64(10 + k)
            return Self.item(id, tag: id, score: Double(1000 - k))
        }
        // New videos in order of fit: the first shares a creator with the first ranked item, the second
        // repeats nothing, the third a hashtag of a ranked one.
        let new = [
            Self.item(10, tag: 50, score: 1), Self.item(60, tag: 60, score: 1), Self.item(70, tag: 11, score: 1),
        ]
        let items = ranked + new
        let page = exploring.assemble(count: 9, items: items, ranked: Array(0..<8), exploring: [8, 9, 10], recent: [])
        #expect(page.count == 9)
        // Places 3, 6 and 9 (indices 2, 5, 8) explore. Creator 10 opened the page, so the first new video may
        // not take place 3 or 6; place 3 goes to the one that repeats nothing, place 6 to the one that repeats a
        // hashtag (a soft rule), and place 9, creator 10 now six places back, to the first.
        #expect(page[2] == 9 && page[5] == 10 && page[8] == 8)
        #expect(page.filter { $0 < 8 } == [0, 1, 2, 3, 4, 5])
    }

    @Test func aPageWithTooFewRankedItemsFillsFromNewVideos() {
        var exploring = assembly
        exploring.exploreEvery = 3
        let items = [Self.item(1, tag: 1, score: 5), Self.item(2, tag: 2, score: 1), Self.item(3, tag: 3, score: 1)]
        // One ranked item, one new video that fits, one that does not (spare).
        let page = exploring.assemble(count: 5, items: items, ranked: [0], exploring: [1], spare: [1, 2], recent: [])
        #expect(page == [0, 1, 2])
    }

    @Test func aYoungCataloguesPageOfNewVideosKeepsTheRulesToo() {
        // Every video is new (no ranked items), two by one creator: they are not shown back to back.
        let items = [Self.item(1, tag: 1, score: 0), Self.item(1, tag: 2, score: 0), Self.item(2, tag: 1, score: 0)]
        let page = assembly.assemble(count: 3, items: items, ranked: [], exploring: [0, 1, 2], recent: [])
        #expect(page == [0, 2, 1])
    }

    @Test func aPageOfNewVideosSharingSoundsStillSpreadsCreators() {
        // A young catalogue: every video new, three creators, one backing track for all. The sound rule cannot
        // be kept after the first place; the creator rule can, and is.
        let items = (0..<6).map { Self.item(UInt64(1 + $0 % 3), tag: UInt64($0), score: 0, sound: 9) }
        let page = assembly.assemble(count: 6, items: items, ranked: [], exploring: Array(0..<6), recent: [])
        #expect(page == [0, 1, 2, 3, 4, 5])
        for (a, b) in zip(page, page.dropFirst()) { #expect(items[a].look.creator != items[b].look.creator) }
    }
}
