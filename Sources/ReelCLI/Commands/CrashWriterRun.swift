import Foundation
import ReelDomain
import ReelJournal
import ReelWorkloads
import Synchronization

/// The body of `reel journal crash-writer`: appends workload events from several tasks and prints
/// `ack <firstPosition> <count> <firstWorkloadIndex>` after each acknowledged append, until it is killed.
struct CrashWriterRun {
    let options: JournalCommand.CrashWriter

    func run() async throws {
        let workload = WatchWorkload()
        let next = IndexCounter(Int(options.startIndex))
        if options.fillBytes > 0 {
            var fill = JournalConfiguration(directory: options.dir)
            fill.durability = .noSyncUnsafe
            fill.segmentSize = options.segmentSize
            let j = try Journal.open(fill)
            while true {
                let (seg, _) = try j.diskUsage()
                if seg >= options.fillBytes { break }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            for _ in 0..<200 {
                                let start = UInt64(next.take(1000))
                                let writes = (start..<(start + 1000)).map { i -> StreamWrite in
                                    let (s, e) = workload.newEvent(i)
                                    return StreamWrite(stream: s, events: [e])
                                }
                                try await j.append(writes)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            j.close()
        }
        var config = JournalConfiguration(directory: options.dir)
        config.segmentSize = options.segmentSize
        let journal = try Journal.open(config)
        let out = LineWriter()
        out.say("ready \(journal.nextPosition)")
        let batch = UInt64(options.batch)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<options.writers {
                group.addTask {
                    while true {
                        let start = UInt64(next.take(Int(batch)))
                        let writes = (start..<(start + batch)).map { i -> StreamWrite in
                            let (s, e) = workload.newEvent(i)
                            return StreamWrite(stream: s, events: [e])
                        }
                        let r = try await journal.append(writes)
                        out.say("ack \(r.firstPosition) \(batch) \(start)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
