import Foundation

/// What `REEL_SIM_DEBUG=1` prints besides the figures: how each viewer's sessions went in the order they had
/// them (does learning carry from one session to the next?), and what ended sessions (skips or repeats, the
/// two kinds of boredom). Counting only; the run is the same with or without it.
struct SimulationDiagnostics {
    /// Per session ordinal of a viewer (1st, 2nd, ...): summed watched fraction, impressions, watched ms.
    private var byOrdinal: [(fraction: Double, impressions: Int, watchMillis: Double)]
    private var sessionsSoFar: [Int]
    private var pages = 0, shortPages = 0, emptyPages = 0, bored = 0, atLimit = 0, skips = 0, repeats = 0

    init(viewers: Int) {
        byOrdinal = Array(repeating: (0, 0, 0), count: World.sessionsPerViewer)
        sessionsSoFar = Array(repeating: 0, count: viewers)
    }

    /// The viewer's session ordinal (0-based), counting this one.
    mutating func sessionStarted(viewer: Int) -> Int {
        defer { sessionsSoFar[viewer] += 1 }
        return min(sessionsSoFar[viewer], byOrdinal.count - 1)
    }

    mutating func page(usable: Int, asked: Int) {
        pages += 1
        if usable < asked { shortPages += 1 }
        if usable == 0 { emptyPages += 1 }
    }

    mutating func impression(ordinal: Int, fraction: Double, watchedMillis: Double, skipped: Bool, repeated: Bool) {
        byOrdinal[ordinal].fraction += fraction
        byOrdinal[ordinal].impressions += 1
        byOrdinal[ordinal].watchMillis += watchedMillis
        if skipped { skips += 1 }
        if repeated { repeats += 1 }
    }

    mutating func sessionEnded(bored: Bool, atLimit: Bool) {
        if bored { self.bored += 1 }
        if atLimit { self.atLimit += 1 }
    }

    func report(policy: String, viewers: Int) -> String {
        let n = Double(max(1, viewers))
        let sessions = byOrdinal.enumerated().map { i, x in
            String(format: "session %d: fraction %.3f, %.1f impressions, %.0f s", i + 1, x.fraction / Double(max(1, x.impressions)), Double(x.impressions) / n, x.watchMillis / 1000 / n)
        }
        return """
            [debug] \(policy): per viewer, in order: \(sessions.joined(separator: "; "))
            [debug] \(policy): sessions ended by boredom \(bored), the impression limit \(atLimit), an empty page \(emptyPages); \
            pages \(pages) (short \(shortPages)); skips \(skips), repeats \(repeats)

            """
    }
}
