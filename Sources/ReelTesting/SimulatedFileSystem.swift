import ReelJournal
import Synchronization

/// An in-memory file system that models what survives a power cut: file data reaches "disk" only when the
/// file is synced, and a created, renamed or removed directory entry only when its directory is synced.
/// `crash()` throws away everything not durable, exactly like pulling the plug.
///
/// It can also fail writes once the volume holds `capacity` bytes (a full disk).
public final class SimulatedFileSystem: JournalFileSystem {
    final class Inode: @unchecked Sendable {
        // Guarded by the file system's lock.
        var volatile: [UInt8] = []
        var durable: [UInt8] = []
    }
    struct State {
        /// What a directory listing shows now.
        var entries: [String: Inode] = [:]
        /// What a listing would show after a crash.
        var durableEntries: [String: Inode] = [:]
        var directories: Set<String> = []
        var capacity: Int = .max
    }
    private let state = Mutex(State())

    public init() {}

    /// Fails writes with `diskFull` once the files' total size would exceed `bytes`.
    public func setCapacity(_ bytes: Int) { state.withLock { $0.capacity = bytes } }

    /// Drops every unsynced write and every unsynced directory change.
    public func crash() {
        state.withLock { s in
            s.entries = s.durableEntries
            for inode in s.entries.values { inode.volatile = inode.durable }
        }
    }

    /// Direct access for corruption tests.
    public func withContents(_ path: String, _ body: (inout [UInt8]) -> Void) {
        state.withLock { s in
            guard let inode = s.entries[path] else { return }
            body(&inode.volatile)
            inode.durable = inode.volatile
        }
    }

    public func createDirectory(_ path: String) throws(JournalError) {
        state.withLock { _ = $0.directories.insert(path) }
    }

    public func listDirectory(_ path: String) throws(JournalError) -> [String] {
        state.withLock { s in
            s.entries.keys.filter { $0.hasPrefix(path + "/") }.map { String($0.dropFirst(path.count + 1)) }
                .filter { !$0.contains("/") }.sorted()
        }
    }

    public func fileExists(_ path: String) -> Bool {
        state.withLock { $0.entries[path] != nil || $0.directories.contains(path) }
    }

    public func openFile(_ path: String, create: Bool) throws(JournalError) -> any JournalFileHandle {
        let inode = state.withLock { s -> Inode? in
            if let i = s.entries[path] { return i }
            guard create else { return nil }
            let i = Inode()
            s.entries[path] = i
            return i
        }
        guard let inode else { throw JournalError(.io, "cannot open \(path): no such file") }
        return Handle(fs: self, inode: inode, path: path)
    }

    public func rename(_ from: String, _ to: String) throws(JournalError) {
        try state.withLock { (s) throws(JournalError) in
            guard let i = s.entries.removeValue(forKey: from) else { throw JournalError(.io, "cannot rename \(from): no such file") }
            s.entries[to] = i
        }
    }

    public func remove(_ path: String) throws(JournalError) {
        state.withLock { _ = $0.entries.removeValue(forKey: path) }
    }

    public func syncDirectory(_ path: String) throws(JournalError) {
        state.withLock { s in
            let prefix = path + "/"
            s.durableEntries = s.durableEntries.filter { !$0.key.hasPrefix(prefix) || $0.key.dropFirst(prefix.count).contains("/") }
            for (k, v) in s.entries where k.hasPrefix(prefix) && !k.dropFirst(prefix.count).contains("/") {
                s.durableEntries[k] = v
            }
        }
    }

    fileprivate func withInode<T>(_ body: (inout State) throws(JournalError) -> T) throws(JournalError) -> T {
        try state.withLock { (s) throws(JournalError) in try body(&s) }
    }

    final class Handle: JournalFileHandle {
        let fs: SimulatedFileSystem
        let inode: Inode
        let path: String
        init(fs: SimulatedFileSystem, inode: Inode, path: String) {
            self.fs = fs
            self.inode = inode
            self.path = path
        }

        func size() throws(JournalError) -> Int { try fs.withInode { _ in inode.volatile.count } }

        func read(at offset: Int, count: Int) throws(JournalError) -> [UInt8] {
            try fs.withInode { _ in
                guard offset < inode.volatile.count else { return [] }
                return Array(inode.volatile[offset..<min(inode.volatile.count, offset + count)])
            }
        }

        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(JournalError) {
            try fs.withInode { (s) throws(JournalError) in
                let total = s.entries.values.reduce(0) { $0 + $1.volatile.count }
                let growth = max(0, offset + bytes.count - inode.volatile.count)
                if total + growth > s.capacity {
                    // Like a real full disk: part of the write may land before the error.
                    let room = max(0, s.capacity - total)
                    let partial = min(bytes.count, room + max(0, inode.volatile.count - offset))
                    apply(UnsafeRawBufferPointer(rebasing: bytes[0..<partial]), at: offset)
                    throw JournalError(.diskFull, "cannot write \(path): no space left on device (simulated)")
                }
                apply(bytes, at: offset)
            }
        }

        private func apply(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
            if inode.volatile.count < offset { inode.volatile.append(contentsOf: repeatElement(0, count: offset - inode.volatile.count)) }
            let overlap = min(bytes.count, inode.volatile.count - offset)
            for i in 0..<overlap { inode.volatile[offset + i] = bytes[i] }
            if overlap < bytes.count { inode.volatile.append(contentsOf: bytes[overlap...]) }
        }

        func sync() throws(JournalError) { try fs.withInode { _ in inode.durable = inode.volatile } }

        func truncate(to size: Int) throws(JournalError) {
            try fs.withInode { _ in
                if size < inode.volatile.count {
                    inode.volatile.removeSubrange(size...)
                } else {
                    inode.volatile.append(contentsOf: repeatElement(0, count: size - inode.volatile.count))
                }
            }
        }

        func close() {}
    }
}
