import Foundation

extension OfflineEvaluation.Split {
    /// Writes the split for recommenders outside Reel (`Benchmarks/peers/peers.py`):
    ///
    /// - `train.csv` (`user,video,time,kind`, kind play, skip or like): every engagement except, for each
    ///   target user, their target and what followed it. A batch learner trained once on it sees other users'
    ///   later events, which Reel's online replay never does: the comparison leans toward the peers.
    /// - `targets.csv` (`user,video,time`): one held-out positive per target user.
    /// - `catalogue.csv` (`video,published`): publication times (ms); a target's candidates are the videos
    ///   published by its time minus what the user has in `train.csv`, the target itself included.
    public func export(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var cutoff: [UInt64: Int] = [:]
        for t in targets { cutoff[interactions[t].user] = t }
        var train = "user,video,time,kind\n"
        for (i, e) in interactions.enumerated() where e.isEngagement {
            if let last = cutoff[e.user], i >= last { continue }
            let kind = e.liked ? "like" : e.skipped ? "skip" : "play"
            train += "\(e.user),\(e.video),\(e.time),\(kind)\n"
        }
        var held = "user,video,time\n"
        for t in targets.sorted() { held += "\(interactions[t].user),\(interactions[t].video),\(interactions[t].time)\n" }
        var catalogue = "video,published\n"
        for (video, at) in published.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) { catalogue += "\(video),\(at)\n" }
        for (name, text) in [("train.csv", train), ("targets.csv", held), ("catalogue.csv", catalogue)] {
            try text.write(toFile: (directory as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
    }
}
