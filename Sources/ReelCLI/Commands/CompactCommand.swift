import ArgumentParser
import Foundation
import ReelDomain
import ReelJournal

extension JournalCommand {
    /// `reel journal compact`: journal retention by hand (a running engine does it by itself every six hours).
    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compact served feeds older than N days into summaries (sealed segments only; needs the data directory unlocked).")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Compact feeds recorded more than this many days ago.") var olderThanDays: Int = 90

        func run() throws {
            guard olderThanDays >= 0 else { throw ValidationError("--older-than-days must be 0 or more") }
            let journal = try data.openForWriting()
            defer { journal.close() }
            let cutoff = Timestamp(microseconds: SystemClock().now().microseconds - Int64(olderThanDays) * 86_400_000_000)
            let started = Date()
            let r = try journal.compact(recordedBefore: cutoff, rewrite: FeedServed.summarizedPayload)
            print(
                JSONValue.object([
                    ("segmentsRewritten", .int(Int64(r.segmentsRewritten))), ("feedsCompacted", .int(Int64(r.eventsRewritten))),
                    ("bytesBefore", .int(Int64(r.bytesBefore))), ("bytesAfter", .int(Int64(r.bytesAfter))),
                    ("seconds", .double(Date().timeIntervalSince(started))), ("verified", .bool(journal.verify().ok)),
                ]).rendered)
        }
    }
}
