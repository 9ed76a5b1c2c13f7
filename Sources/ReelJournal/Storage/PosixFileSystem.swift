#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real file system through POSIX calls. `ENOSPC` and `EDQUOT` become `JournalError.diskFull`.
public struct PosixFileSystem: JournalFileSystem {
    public init() {}

    public func createDirectory(_ path: String) throws(JournalError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw posixError("cannot create directory \(current)")
            }
        }
    }

    public func listDirectory(_ path: String) throws(JournalError) -> [String] {
        guard let dir = opendir(path) else { throw posixError("cannot list directory \(path)") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public func openFile(_ path: String, create: Bool) throws(JournalError) -> any JournalFileHandle {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        var fd = open(path, flags, 0o644)
        if fd < 0 && (errno == EACCES || errno == EROFS) && !create {
            fd = open(path, O_RDONLY | O_CLOEXEC)
        }
        guard fd >= 0 else { throw posixError("cannot open \(path)") }
        return PosixFileHandle(fd: fd, path: path)
    }

    public func rename(_ from: String, _ to: String) throws(JournalError) {
        if Glibc.rename(from, to) != 0 { throw posixError("cannot rename \(from) to \(to)") }
    }

    public func remove(_ path: String) throws(JournalError) {
        if unlink(path) != 0 && errno != ENOENT { throw posixError("cannot remove \(path)") }
    }

    public func syncDirectory(_ path: String) throws(JournalError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw posixError("cannot open directory \(path)") }
        defer { Glibc.close(fd) }
        if fsync(fd) != 0 { throw posixError("cannot sync directory \(path)") }
    }
}

func posixError(_ what: String, code: Int32 = errno) -> JournalError {
    let reason = String(cString: strerror(code))
    if code == ENOSPC || code == EDQUOT {
        return JournalError(.diskFull, "\(what): \(reason); nothing unacknowledged was kept, retry when space returns")
    }
    return JournalError(.io, "\(what): \(reason) (errno \(code))")
}

/// A file descriptor. `pread`/`pwrite` carry their own offsets, so concurrent readers need no lock.
final class PosixFileHandle: JournalFileHandle {
    let fd: Int32
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { Glibc.close(fd) }

    func size() throws(JournalError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw posixError("cannot stat \(path)") }
        return Int(st.st_size)
    }

    func read(at offset: Int, count: Int) throws(JournalError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        out.withUnsafeMutableBytes { buf in
            while done < count {
                let n = pread(fd, buf.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { break }
                done += n
            }
        }
        if failure != 0 { throw posixError("cannot read \(path) at \(offset)", code: failure) }
        if done < count { out.removeSubrange(done...) }
        return out
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(JournalError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError("cannot write \(path) at \(offset + done)")
            }
            done += n
        }
    }

    func sync() throws(JournalError) {
        if fdatasync(fd) != 0 { throw posixError("cannot sync \(path)") }
    }

    func truncate(to size: Int) throws(JournalError) {
        if ftruncate(fd, off_t(size)) != 0 { throw posixError("cannot truncate \(path)") }
    }

    func close() {}
}
