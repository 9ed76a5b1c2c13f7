import Foundation
import GRDB
import ReelDomain
import ReelJournal
import ReelWorkloads
import Synchronization

/// `reel bench journal`: the workload of `Docs/Workloads.md` through the journal and, in the same run,
/// through SQLite; then replay, stream reads and a reopen after SIGKILL.
struct JournalBenchmark {
    let options: JournalBench

    func run() async throws -> JSONValue {
        let scratch = try makeScratch(options.scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let n = options.events
        let workload = WatchWorkload()
        log("generating \(n) workload events")
        var events: [(StreamID, NewEvent)] = []
        events.reserveCapacity(max(n, options.singleEvents))
        var perStream: [StreamID: Int] = [:]
        for i in 0..<max(n, options.singleEvents) {
            let e = workload.newEvent(UInt64(i))
            events.append(e)
            if i < n { perStream[e.0, default: 0] += 1 }
        }
        let all = events

        // Batched: 16 writers × 100 events per call.
        log("batched append")
        let batchedDir = "\(scratch)/batched"
        var config = JournalConfiguration(directory: batchedDir)
        let batched = try Journal.open(config)
        let (batchedSeconds, _) = try await Self.drive(all, count: n, writers: 16, perCall: 100, journal: batched, measure: false)
        let stats = batched.statistics
        let meanCommit = Double(stats.events) / Double(max(1, stats.commits))
        let (seg, idx) = try batched.diskUsage()
        batched.close()

        // Single: 256 writers × 1 event per call, with acknowledgement latencies.
        log("single append")
        config = JournalConfiguration(directory: "\(scratch)/single")
        let single = try Journal.open(config)
        let (singleSeconds, lat) = try await Self.drive(
            all, count: options.singleEvents, writers: 256, perCall: 1, journal: single, measure: true)
        let singleCommit = Double(single.statistics.events) / Double(max(1, single.statistics.commits))
        single.close()
        try? FileManager.default.removeItem(atPath: "\(scratch)/single")

        // SQLite with the same events, one transaction per journal commit of the measured mean size.
        log("sqlite (transactions of \(Int(meanCommit.rounded())) events)")
        let sqliteSeconds = try Self.sqlite(all, count: n, perTransaction: max(1, Int(meanCommit.rounded())), path: "\(scratch)/events.sqlite")

        // Replay everything, decoded.
        log("replay")
        var ro = JournalConfiguration(directory: batchedDir)
        ro.readOnly = true
        let reader = try Journal.open(ro)
        let replayStart = monotonicSeconds()
        var cursor = reader.events()
        var replayed = 0
        var checksum: UInt64 = 0
        while let e = try cursor.next() {
            replayed += 1
            checksum &+= UInt64(e.payload.count) &+ e.sequence
        }
        let replaySeconds = monotonicSeconds() - replayStart
        precondition(replayed == n, "replay saw \(replayed) of \(n) events")

        // Stream reads: the last 100 events of 500 streams drawn from those with at least 1,000 events.
        log("stream reads")
        let hot = perStream.filter { $0.value >= 1000 }.map(\.key).sorted()
        var g = SplitMix64(seed: 7)
        var readLatencies: [Double] = []
        for _ in 0..<(hot.isEmpty ? 0 : 500) {
            let s = hot[Int(g.next() % UInt64(hot.count))]
            let t = monotonicSeconds()
            let v = try reader.version(of: s)
            let got = try reader.readStream(s, after: v - 100)
            readLatencies.append((monotonicSeconds() - t) * 1000)
            precondition(got.count == 100 && got.last?.sequence == v)
        }
        reader.close()
        try? FileManager.default.removeItem(atPath: batchedDir)

        var reopen: Double?
        var reopenBytes = 0
        if !options.skipReopen {
            log("filling \(options.reopenBytes) bytes, SIGKILL, reopen")
            (reopen, reopenBytes) = try Self.reopenAfterKill(dir: "\(scratch)/reopen", bytes: options.reopenBytes)
        }

        let batchedRate = Double(n) / batchedSeconds
        let sqliteRate = Double(n) / sqliteSeconds
        var f: [(String, JSONValue)] = []
        f.append(("events", .int(Int64(n))))
        f.append(("appendEventsPerSecond", .double(batchedRate.rounded())))
        f.append(("singleAppendEventsPerSecond", .double((Double(options.singleEvents) / singleSeconds).rounded())))
        f.append(("singleEvents", .int(Int64(options.singleEvents))))
        f.append(("meanBatchEvents", .double((meanCommit * 10).rounded() / 10)))
        f.append(("meanFrameEvents", .double((Double(stats.events) / Double(max(1, stats.frames)) * 10).rounded() / 10)))
        f.append(("singleMeanBatchEvents", .double((singleCommit * 10).rounded() / 10)))
        f.append(("sqliteEventsPerSecond", .double(sqliteRate.rounded())))
        f.append(("ratioVsSQLite", .double((batchedRate / sqliteRate * 100).rounded() / 100)))
        f.append(("ackP50Millis", .double(quantile(lat, 0.5).rounded3)))
        f.append(("ackP99Millis", .double(quantile(lat, 0.99).rounded3)))
        f.append(("bytesPerEvent", .double((Double(seg + idx) / Double(n) * 100).rounded() / 100)))
        f.append(("segmentBytesPerEvent", .double((Double(seg) / Double(n) * 100).rounded() / 100)))
        f.append(("replayEventsPerSecond", .double((Double(replayed) / replaySeconds).rounded())))
        f.append(("streamReadP50Millis", .double(quantile(readLatencies, 0.5).rounded3)))
        f.append(("streamReadP99Millis", .double(quantile(readLatencies, 0.99).rounded3)))
        f.append(("streamsWithAtLeast1000Events", .int(Int64(hot.count))))
        f.append(("reopenMillis", reopen.map { .double($0.rounded3) } ?? .null))
        f.append(("reopenJournalBytes", .int(Int64(reopenBytes))))
        f.append(("checksum", .uint(checksum)))
        return .object(f)
    }

    /// Appends `count` events from `writers` concurrent tasks, `perCall` events per append; returns seconds.
    static func drive(
        _ events: [(StreamID, NewEvent)], count: Int, writers: Int, perCall: Int, journal: Journal,
        measure: Bool
    ) async throws -> (Double, [Double]) {
        let next = IndexCounter()
        let start = monotonicSeconds()
        var latencies: [Double] = []
        try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<writers {
                group.addTask {
                    var mine: [Double] = []
                    while true {
                        let i = next.take(perCall)
                        if i >= count { break }
                        let writes = (i..<min(count, i + perCall)).map { StreamWrite(stream: events[$0].0, events: [events[$0].1]) }
                        let t = measure ? monotonicSeconds() : 0
                        try await journal.append(writes)
                        if measure { mine.append((monotonicSeconds() - t) * 1000) }
                    }
                    return mine
                }
            }
            for try await part in group { latencies.append(contentsOf: part) }
        }
        return (monotonicSeconds() - start, latencies)
    }

    static func sqlite(_ events: [(StreamID, NewEvent)], count: Int, perTransaction: Int, path: String) throws -> Double {
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let db = try DatabaseQueue(path: path, configuration: config)
        try db.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(
                sql: """
                    CREATE TABLE event (position INTEGER PRIMARY KEY, stream_kind INTEGER NOT NULL, stream_id INTEGER NOT NULL,
                      sequence INTEGER NOT NULL, recorded_at INTEGER NOT NULL, type TEXT NOT NULL, version INTEGER NOT NULL,
                      correlation INTEGER, causation INTEGER, actor INTEGER, payload BLOB NOT NULL);
                    CREATE UNIQUE INDEX event_stream ON event (stream_kind, stream_id, sequence);
                    """)
        }
        var sequences: [StreamID: Int64] = [:]
        let start = monotonicSeconds()
        var i = 0
        while i < count {
            let end = min(count, i + perTransaction)
            try db.inTransaction { db in
                let stmt = try db.cachedStatement(sql: "INSERT INTO event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                let now = SystemClock().now().microseconds
                for k in i..<end {
                    let (s, e) = events[k]
                    let seq = (sequences[s] ?? 0) + 1
                    sequences[s] = seq
                    try stmt.execute(arguments: [
                        Int64(k), Int64(s.kind), Int64(bitPattern: s.id), seq, now, e.type, Int64(e.version),
                        e.metadata.correlationID.map { Int64(bitPattern: $0) }, e.metadata.causationID.map { Int64(bitPattern: $0) },
                        e.metadata.actorID.map { Int64(bitPattern: $0) }, Data(e.payload),
                    ])
                }
                return .commit
            }
            i = end
        }
        return monotonicSeconds() - start
    }

    /// Fills a journal to `bytes` in a child process, SIGKILLs it mid-append, and times reopening it.
    static func reopenAfterKill(dir: String, bytes: Int) throws -> (Double, Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: currentExecutable())
        p.arguments = ["journal", "crash-writer", "--dir", dir, "--fill-bytes", String(bytes), "--writers", "16", "--batch", "100"]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let handle = pipe.fileHandleForReading
        var buffer = Data()
        while !String(decoding: buffer, as: UTF8.self).contains("ready") {
            let d = handle.availableData
            if d.isEmpty { throw JournalError(.io, "crash-writer exited before it was ready") }
            buffer.append(d)
        }
        // Let it append durably for a moment so the kill lands mid-append.
        var acks = 0
        let until = monotonicSeconds() + 0.5
        while monotonicSeconds() < until {
            let d = handle.availableData
            acks += d.filter { $0 == UInt8(ascii: "\n") }.count
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let t = monotonicSeconds()
        let j = try Journal.open(JournalConfiguration(directory: dir))
        let ms = (monotonicSeconds() - t) * 1000
        let (seg, idx) = try j.diskUsage()
        log("reopened \(j.nextPosition) events after \(acks) acknowledged appends: \(j.recovery)")
        j.close()
        try? FileManager.default.removeItem(atPath: dir)
        return (ms, seg + idx)
    }
}

extension Double {
    var rounded3: Double { (self * 1000).rounded() / 1000 }
}
