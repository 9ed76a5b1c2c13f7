import ArgumentParser
import Foundation
import ReelDomain
import ReelJournal

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "Inspect, verify and replay the event journal.",
        subcommands: [
            Stats.self, Dump.self, Verify.self, Replay.self, Compact.self, Golden.self, CrashWriter.self, CrashActors.self, CrashEngine.self,
        ])

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print counts, sizes and the head of the journal as JSON.")
        @OptionGroup var data: DataDirectoryOptions

        func run() throws {
            let j = try data.openForReading()
            let (seg, idx) = try j.diskUsage()
            let next = j.nextPosition
            var fields: [(String, JSONValue)] = [
                ("events", .uint(next)), ("segmentBytes", .int(Int64(seg))), ("indexBytes", .int(Int64(idx))),
                ("bytesPerEvent", .double(next == 0 ? 0 : Double(seg + idx) / Double(next))),
                ("segments", .int(Int64(j.recovery.segments))), ("headHash", .string(j.headHash.hexString)),
            ]
            if next > 0 {
                fields.append(("firstRecordedAt", .string(j.recordedAt(position: 0)!.description)))
                fields.append(("lastRecordedAt", .string(j.recordedAt(position: next - 1)!.description)))
            }
            if !j.recovery.isClean { fields.append(("recovery", .string(j.recovery.description))) }
            print(JSONValue.object(fields).rendered)
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print events as JSON lines.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Only this stream: user:ID, session:ID, video:ID, creator:ID (or kind:id, e.g. 2:17).") var stream: String?
        @Option(help: "Only this event type (e.g. video.watched).") var type: String?
        @Option(help: "Recorded at or after this time (ISO-8601 or Unix seconds).") var from: String?
        @Option(help: "Recorded at or before this time (ISO-8601 or Unix seconds).") var to: String?
        @Option(help: "Stop after this many events.") var limit: Int?

        func run() throws {
            let j = try data.openForReading()
            var start: UInt64 = 0
            var end = j.nextPosition
            if let from {
                let t = try parseTime(from, option: "--from")
                start = t.microseconds == Int64.min ? 0 : (j.lastPosition(atOrBefore: t.adding(microseconds: -1)).map { $0 + 1 } ?? 0)
            }
            if let to { end = (j.lastPosition(atOrBefore: try parseTime(to, option: "--to")).map { $0 + 1 }) ?? 0 }
            var printed = 0
            let max = limit ?? .max
            func show(_ e: RecordedEvent) throws -> Bool {
                guard e.position >= start, e.position < end else { return true }
                if let type, e.type != type { return true }
                print(try EventCatalog.json(e).rendered)
                printed += 1
                return printed < max
            }
            if let stream {
                let s = try AuditCommand.stream(stream)  // the same names `audit entity` takes
                for e in try j.readStream(s, decryptPersonal: true) where try !show(e) { break }
            } else {
                var cursor = j.events(from: start, to: end, decryptPersonal: true)
                while let e = try cursor.next() { if try !show(e) { break } }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every checksum and the hash chain; print the head hash. Exits 1 on any problem.")
        @OptionGroup var data: DataDirectoryOptions

        func run() throws {
            let j = try data.openForReading()
            let r = j.verify()
            let fields: [(String, JSONValue)] = [
                ("ok", .bool(r.ok)), ("segments", .int(Int64(r.segments))), ("batches", .int(Int64(r.batches))),
                ("events", .uint(r.events)), ("bytes", .int(Int64(r.bytes))), ("headHash", .string(r.headHash.hexString)),
                ("problems", .array(r.problems.map { .string($0.description) })),
                ("notes", .array(r.notes.map { .string($0) })),
            ]
            print(JSONValue.object(fields).rendered)
            if !r.ok { throw ExitCode(1) }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the state to a position or time and print its digest, to compare two builds.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "A position (events before it are replayed) or a time (ISO-8601 or Unix seconds).")
        var to: String?

        func run() throws {
            let j = try data.openForReading()
            var end = j.nextPosition
            if let to {
                if let p = UInt64(to), !to.contains("-"), !to.contains(":"), to.count < 10 {
                    end = min(p, end)
                } else {
                    end = j.lastPosition(atOrBefore: try parseTime(to, option: "--to")).map { $0 + 1 } ?? 0
                }
            }
            let digest = try ReplayDigest.compute(j, to: end)
            print(digest.json.rendered)
        }
    }

    struct Golden: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a golden journal and its expected content (for format fixtures; never overwrites).",
            shouldDisplay: false)
        @Argument(help: "Directory to create.") var directory: String

        func run() async throws {
            try await GoldenJournal.write(to: directory)
        }
    }

    struct CrashWriter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append workload events until killed, printing each acknowledged append (crash tests).",
            shouldDisplay: false)
        @Option var dir: String
        @Option(help: "Concurrent appenders.") var writers: Int = 8
        @Option(help: "Events per append.") var batch: Int = 10
        @Option(help: "Segment size in bytes.") var segmentSize: Int = 16 << 20
        @Option(help: "Write without sync until the journal holds this many bytes, then print 'ready'.")
        var fillBytes: Int = 0
        @Option(help: "First workload index (so that restarts append new events).") var startIndex: UInt64 = 0

        func run() async throws {
            try await CrashWriterRun(options: self).run()
        }
    }
}
