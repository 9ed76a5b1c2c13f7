#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Keeps a data directory and its secrets to their owner. The directory holds the journal (personal data,
/// sealed or not), and some files are secrets outright (signing keys and password hashes in `accounts.sqlite`,
/// the per-person keys erasure relies on in `keys.sqlite`, the admin token): no other local user may read them.
public enum FilePrivacy {
    /// A directory's mode: owner only.
    public static let directoryMode: mode_t = 0o700
    /// A secret file's mode: owner read and write.
    public static let fileMode: mode_t = 0o600

    /// Takes group and other permissions off `path` (a file or directory we own) when it has any, and says what
    /// it changed (nil when it was private already or does not exist). Other failures are left to the opener.
    @discardableResult
    public static func restrict(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & 0o077 != 0 else { return nil }
        let isDirectory = st.st_mode & S_IFMT == S_IFDIR
        let mode = isDirectory ? directoryMode : fileMode
        guard chmod(path, mode) == 0 else { return nil }
        return "\(path) was \(String(st.st_mode & 0o777, radix: 8)), now \(String(mode, radix: 8))"
    }

    /// Makes sure the secret file at `path` exists with mode 0600 before a database opens it: SQLite gives its
    /// journal and WAL files the main file's mode, so they are private too. Tightens an existing file.
    @discardableResult
    public static func prepareSecretFile(_ path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, fileMode)
        if fd >= 0 { close(fd) }
        var changed: [String] = []
        for p in [path, path + "-wal", path + "-shm", path + "-journal"] {
            if let c = restrict(p) { changed.append(c) }
        }
        return changed.isEmpty ? nil : changed.joined(separator: "; ")
    }

    /// The permission bits of `path` (nil when it does not exist).
    public static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o777 : nil
    }
}
