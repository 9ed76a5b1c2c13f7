import Foundation

/// What `REEL_SIM_DEBUG=1` prints for the engine's policy: per candidate source and kind of page (`@new`: the
/// viewer's first session, `@start`: a later session's first page, `@later`: the pages after it), impressions,
/// skip rate, repeat rate and watched seconds, to see what each source costs the session (a skip is a fifth of
/// the boredom that ends it, a repeat a tenth); exploration by the world's hidden affinity of the viewer for
/// the video; and how many new videos that suit the viewer each page could have explored. Counting only: the
/// run is the same with or without it.
struct SourceDiagnostics {
    struct Tally {
        var impressions = 0, skips = 0, repeats = 0
        var seconds = 0.0
        var line: String {
            let n = Double(max(1, impressions))
            return String(
                format: "%d impressions, skip rate %.3f, repeat rate %.3f, %.1f s each", impressions,
                Double(skips) / n, Double(repeats) / n, seconds / n)
        }
    }

    let world: World
    private var servedAs: [Int: String] = [:]
    private var exploredAt: [Int: String] = [:]
    private var pagesInSession: [Int: Int] = [:]
    private var sessionsOfViewer: [Int: Int] = [:]
    /// The session's last five (creator, main hashtag), for the simulator's repeat rule.
    private var recent: [Int: [(creator: Int, tag: Int)]] = [:]
    private var released: [Int] = []
    private var suited: [String: (pages: Int, videos: Int)] = [:]
    private var bySource: [String: Tally] = [:]
    private var byAffinity: [String: Tally] = [:]

    init(world: World) { self.world = world }

    mutating func sessionStarted(_ plan: World.SessionPlan) { sessionsOfViewer[plan.viewer, default: 0] += 1 }
    mutating func sessionEnded(_ plan: World.SessionPlan) { recent[Self.key(plan)] = nil }
    mutating func released(_ video: Int) { released.append(video) }

    /// A served page: each video's source and kind of page.
    mutating func served(_ page: [(video: Int, source: String)], for r: PageRequest) {
        let session = Self.key(r.plan)
        pagesInSession[session, default: 0] += 1
        let kind =
            sessionsOfViewer[r.plan.viewer, default: 0] <= 1
            ? "@new" : pagesInSession[session]! == 1 ? "@start" : "@later"
        // New (released within a day) videos that suit this viewer: what exploration could have shown.
        var count = 0
        for v in released.reversed() {
            guard r.time - world.release[v]! < World.dayMillis else { break }
            if affinity(of: r.plan.viewer, for: v) >= 2 { count += 1 }
        }
        suited[kind, default: (0, 0)].pages += 1
        suited[kind, default: (0, 0)].videos += count
        for (v, source) in page {
            servedAs[v] = source + kind
            if source == "explore" {
                exploredAt[v] = String(format: "a%.0f", affinity(of: r.plan.viewer, for: v).rounded(.up))
            }
        }
    }

    mutating func observed(video: Int, outcome: ResponseModel.Outcome, watchedSeconds: Double, plan: World.SessionPlan)
    {
        let session = Self.key(plan)
        let creator = world.creatorOf[video]
        let tag = world.catalogue.videos[video].tags.first ?? -1
        let repeated = recent[session, default: []].contains { $0.creator == creator || ($0.tag == tag && tag >= 0) }
        recent[session, default: []].append((creator, tag))
        if recent[session]!.count > 5 { recent[session]!.removeFirst() }
        func count(_ t: inout Tally) {
            t.impressions += 1
            t.skips += outcome.skipped ? 1 : 0
            t.repeats += repeated ? 1 : 0
            t.seconds += watchedSeconds
        }
        let source = servedAs[video] ?? "?"
        count(&bySource[source, default: Tally()])
        if source.hasPrefix("explore"), let a = exploredAt[video] { count(&byAffinity[a, default: Tally()]) }
    }

    func report(policy name: String) -> String {
        func lines(_ table: [String: Tally]) -> String {
            table.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.line)" }.joined(separator: "; ")
        }
        let capacity = suited.sorted { $0.key < $1.key }.map {
            String(format: "%@ %.1f", $0.key, Double($0.value.videos) / Double(max(1, $0.value.pages)))
        }
        return """
            [debug] \(name) by source: \(lines(bySource))
            [debug] \(name) exploration by hidden affinity (a rounded up: a1 is almost none, a3 a full hashtag match): \(lines(byAffinity))
            [debug] \(name) new videos suiting the viewer (a ≥ 2) per page: \(capacity.joined(separator: "; "))

            """
    }

    private func affinity(of viewer: Int, for video: Int) -> Double {
        let v = world.viewers[viewer]
        return ResponseModel.affinity(
            taste: v.taste, tags: world.catalogue.videos[video].tags,
            favourite: v.favourites.contains(world.creatorOf[video]))
    }

    private static func key(_ plan: World.SessionPlan) -> Int { plan.viewer * World.sessionsPerViewer + plan.index }
}
