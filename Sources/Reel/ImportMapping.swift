import Foundation
import ReelJournal

/// The engine's side of `import-ids.tsv` (written by `ReelWorkloads.ExternalIDs`): lines of
/// `kind<TAB>id<TAB>external id`. An external user id can name a person (an e-mail, an account name), so an
/// erasure removes that person's line.
enum ImportMapping {
    static func path(in directory: String) -> String { (directory as NSString).appendingPathComponent("import-ids.tsv") }

    /// Rewrites the mapping without the user's line (a new file renamed over the old one, both synced).
    static func forget(user: UInt64, in directory: String) throws(JournalError) {
        let path = path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let prefix = "user\t\(user)\t"
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            let kept = lines.filter { !$0.hasPrefix(prefix) }
            guard kept.count < lines.count else { return }
            let temporary = path + ".tmp"
            let out = kept.map { $0 + "\n" }.joined()
            guard FileManager.default.createFile(atPath: temporary, contents: Data(out.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw JournalError(.io, "cannot write \(temporary)")
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            try handle.synchronize()
            try handle.close()
            guard rename(temporary, path) == 0 else { throw JournalError(.io, "cannot replace \(path): errno \(errno)") }
        } catch let e as JournalError {
            throw e
        } catch {
            throw JournalError(.io, "cannot rewrite the import id mapping \(path)", cause: error)
        }
    }
}
