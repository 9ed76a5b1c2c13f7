/// Stage 4 of the pipeline, a pure function of ranked candidates: the page is laid out place by place, each
/// place given to the best candidate that does not repeat what the viewer has just seen. A creator or sound
/// never repeats within `window` items (a hard rule, relaxed only when nothing else is left); a main hashtag
/// may repeat, at a price in seconds: a viewer who sees the same kind of video again and again tires of the
/// session, and a slightly less likely video of another hashtag is often worth more than that.
/// The window reaches back into the session's previous page, so a page does not open with what the last one
/// ended on.
public struct PageAssembly: Sendable {
    /// What the diversity rules look at.
    public struct Look: Sendable, Equatable {
        public var creator: UInt64
        public var sound: UInt64
        public var mainTag: UInt64?
        public init(creator: UInt64, sound: UInt64, mainTag: UInt64?) {
            self.creator = creator
            self.sound = sound
            self.mainTag = mainTag
        }
    }

    public struct Item: Sendable {
        public var look: Look
        /// What the ranker orders by (seconds).
        public var score: Double
        public init(look: Look, score: Double) {
            self.look = look
            self.score = score
        }
    }

    public var window: Int
    /// Main hashtags within this many items are forbidden (cold viewers, whose first page should span hashtags)...
    public var hashtagWindow: Int
    /// ... or, within `window`, cost this many seconds.
    public var hashtagRepeatSeconds: Double
    /// Every `exploreEvery`-th place is an exploration place (0: none).
    public var exploreEvery: Int
    /// How far down the ranked list a place looks for a better non-repeating item.
    public var lookahead = 40

    public init(window: Int, hashtagWindow: Int, hashtagRepeatSeconds: Double, exploreEvery: Int) {
        self.window = window
        self.hashtagWindow = hashtagWindow
        self.hashtagRepeatSeconds = hashtagRepeatSeconds
        self.exploreEvery = exploreEvery
    }

    /// `ranked` and `exploring` (the new videos that may take exploration places; they may be ranked too) are
    /// in preference order; `spare` fills the page when the ranked items run out. Returns indices into `items`,
    /// which all three share. `recent` is what the session was shown last, oldest first.
    public func assemble(count: Int, items: [Item], ranked: [Int], exploring: [Int], spare: [Int] = [], recent: [Look])
        -> [Int]
    {
        var shown = Array(recent.suffix(max(window, hashtagWindow)))
        var page: [Int] = []
        // One flag per item: a new video may be in both lists (it can win a ranked place on its merits, or an
        // exploration place on its fit).
        var used = [Bool](repeating: false, count: items.count)
        var rankedStart = 0

        /// The hard rules a candidate must keep, relaxed in steps only when no candidate keeps them: first the
        /// sound rule goes (a shared backing track is milder than the same creator again), then all.
        enum Rules: CaseIterable { case all, creatorOnly, none }
        func clashes(_ look: Look, _ rules: Rules) -> Bool {
            switch rules {
            case .none: return false
            case .creatorOnly: return shown.suffix(window).contains { $0.creator == look.creator }
            case .all:
                return shown.suffix(window).contains {
                    $0.creator == look.creator || ($0.sound == look.sound && look.sound != 0)
                } || (look.mainTag != nil && shown.suffix(hashtagWindow).contains { $0.mainTag == look.mainTag })
            }
        }
        func repeatsTag(_ look: Look) -> Bool {
            look.mainTag != nil && shown.suffix(window).contains { $0.mainTag == look.mainTag }
        }
        /// The first unused item of `list` that repeats nothing, else the first that repeats only a hashtag.
        func firstFitting(_ list: [Int], _ rules: Rules) -> Int? {
            var hashtagOnly: Int?
            for i in list where !used[i] && !clashes(items[i].look, rules) {
                if !repeatsTag(items[i].look) { return i }
                if hashtagOnly == nil { hashtagOnly = i }
            }
            return hashtagOnly
        }
        /// Among the next `lookahead` unused ranked items that keep `rules` (further down if none of those
        /// does), the best score after the hashtag price.
        func bestRanked(_ rules: Rules) -> Int? {
            while rankedStart < ranked.count && used[ranked[rankedStart]] { rankedStart += 1 }
            var best: (i: Int, value: Double)?
            var looked = 0
            var k = rankedStart
            while k < ranked.count && (looked < lookahead || best == nil) {
                defer { k += 1 }
                let i = ranked[k]
                if used[i] { continue }
                looked += 1
                if clashes(items[i].look, rules) { continue }
                let value = items[i].score - (repeatsTag(items[i].look) ? hashtagRepeatSeconds : 0)
                if best == nil || value > best!.value { best = (i, value) }
            }
            return best?.i
        }
        func take(_ i: Int) {
            used[i] = true
            page.append(i)
            shown.append(items[i].look)
        }

        place: while page.count < count {
            let place = page.count
            // An exploration place: the best-fitting new video that repeats nothing, else one that repeats only a
            // hashtag; with neither, the place goes to the ranked items.
            if exploreEvery > 0, (place + 1) % exploreEvery == 0, let e = firstFitting(exploring, .all) {
                take(e)
                continue
            }
            // A ranked place; with no ranked item left that keeps the rules, a new video that does (exploration's,
            // then the spare ones); only then the rules relax, a step at a time.
            for rules in Rules.allCases {
                if let next = bestRanked(rules) ?? firstFitting(exploring, rules) ?? firstFitting(spare, rules) {
                    take(next)
                    continue place
                }
            }
            break
        }
        return page
    }
}
