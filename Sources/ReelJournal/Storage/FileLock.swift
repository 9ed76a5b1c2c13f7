#if canImport(Glibc)
    import Glibc
#endif
import Synchronization

/// An exclusive advisory lock (`flock`) on a file in the journal directory, held while the journal is open.
final class FileLock: Sendable {
    /// -1 once released.
    private let fd: Mutex<Int32>

    private init(fd: Int32) { self.fd = Mutex(fd) }
    deinit { release() }

    /// Drops the lock (closing the descriptor releases it). Idempotent.
    func release() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    static func acquire(_ path: String, fileSystem: any JournalFileSystem) throws(JournalError) -> (any Sendable)? {
        // A simulated file system is private to one process: there is nobody to exclude.
        guard fileSystem is PosixFileSystem else { return nil }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw posixError("cannot open lock file \(path)") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            Glibc.close(fd)
            if code == EWOULDBLOCK {
                throw JournalError(
                    .locked, "\(path) is locked by another process; open it read-only or stop that process")
            }
            throw posixError("cannot lock \(path)", code: code)
        }
        return FileLock(fd: fd)
    }
}
