/// The file operations the journal needs, behind a protocol so that a fault-injecting implementation can
/// drop every write that was not synced (see `ReelTesting.SimulatedFileSystem`): SIGKILL cannot show a missing
/// `fsync` of a directory after a segment roll, a simulated power cut can.
public protocol JournalFileSystem: Sendable {
    func createDirectory(_ path: String) throws(JournalError)
    /// File names (not paths) in the directory.
    func listDirectory(_ path: String) throws(JournalError) -> [String]
    func fileExists(_ path: String) -> Bool
    /// Opens (and with `create`, creates) a file for reading and writing.
    func openFile(_ path: String, create: Bool) throws(JournalError) -> any JournalFileHandle
    /// Atomically replaces `to` with `from`; durable only after `syncDirectory`.
    func rename(_ from: String, _ to: String) throws(JournalError)
    func remove(_ path: String) throws(JournalError)
    /// Makes created, renamed and removed directory entries durable.
    func syncDirectory(_ path: String) throws(JournalError)
}

public protocol JournalFileHandle: AnyObject, Sendable {
    func size() throws(JournalError) -> Int
    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: Int, count: Int) throws(JournalError) -> [UInt8]
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(JournalError)
    /// `fdatasync`: the file's data (and its size) is durable when this returns.
    func sync() throws(JournalError)
    func truncate(to size: Int) throws(JournalError)
    func close()
}

extension JournalFileHandle {
    public func write(_ bytes: [UInt8], at offset: Int) throws(JournalError) {
        try bytes.withBytes { (raw) throws(JournalError) in try write(raw, at: offset) }
    }

    /// Reads the whole file.
    public func readAll() throws(JournalError) -> [UInt8] {
        try read(at: 0, count: try size())
    }
}

/// Writes a small file atomically and durably: temporary file, sync, rename, sync the directory.
func writeFileAtomically(
    _ fs: any JournalFileSystem, directory: String, name: String, bytes: [UInt8]
) throws(JournalError) {
    let tmp = "\(directory)/\(name).tmp"
    let handle = try fs.openFile(tmp, create: true)
    defer { handle.close() }
    try handle.truncate(to: 0)
    try handle.write(bytes, at: 0)
    try handle.sync()
    try fs.rename(tmp, "\(directory)/\(name)")
    try fs.syncDirectory(directory)
}
