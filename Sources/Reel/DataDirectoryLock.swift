import Foundation
import ReelJournal
import Synchronization

/// The exclusive lock one running engine holds on its data directory (`<data-dir>/LOCK`, `flock`), with the
/// holder's process id written inside so that others can say who has it. The kernel drops the lock when the
/// process dies, however it dies, so a crash never leaves the directory locked.
public final class DataDirectoryLock: Sendable {
    public let path: String
    /// -1 once released.
    private let fd: Mutex<Int32>

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = Mutex(fd)
    }

    /// Gives the directory up (the engine does at the end of shutdown). Idempotent.
    public func release() {
        fd.withLock { fd in
            if fd >= 0 {
                flock(fd, LOCK_UN)
                close(fd)
            }
            fd = -1
        }
    }

    /// Takes the lock or fails with `.locked`, naming the process that holds it.
    public static func acquire(directory: String) throws(ReelError) -> DataDirectoryLock {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: Int(FilePrivacy.directoryMode)])
        } catch {
            throw ReelError(.failure, "io", "cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        let path = "\(directory)/LOCK"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ReelError(.failure, "io", "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = holder(of: directory).map { "process \($0)" } ?? "another process"
            close(fd)
            throw ReelError(.locked, "locked", "the data directory \(directory) is in use by \(holder); stop it, or use read-only tools")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return DataDirectoryLock(path: path, fd: fd)
    }

    /// The process id holding `directory`'s lock, or nil when nobody does.
    public static func holder(of directory: String) -> Int32? {
        let path = "\(directory)/LOCK"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = read(fd, &buffer, buffer.count)
        let text = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return Int32(text) ?? -1
    }

    deinit { release() }
}
