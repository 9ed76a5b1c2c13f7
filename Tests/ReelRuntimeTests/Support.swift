import Foundation
import ReelJournal
import ReelRuntime
import Synchronization
@_exported import ReelTesting

func temporaryDirectory(_ name: String = #function) -> String {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let dir = NSTemporaryDirectory() + "reel-test-\(safe)-\(UUID().uuidString.prefix(8))"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func cleanup(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

/// Runs the package's `reel` with arguments and returns its standard output.
func runReel(_ arguments: [String]) throws -> String { try ReelTesting.runReel(reelExecutable()!, arguments) }

/// A bank account: the smallest entity with an invariant that stale state would break (never below zero).
enum Account: EventSourcedEntity {
    static let kind: UInt16 = 900
    struct State: Sendable, Equatable {
        var balance: Int64 = 0
    }
    enum Command: Sendable {
        case deposit(Int64)
        case withdraw(Int64)
    }
    enum Event: EntityEvent, Equatable {
        case deposited(Int64)
        case withdrew(Int64)

        func newEvent(metadata: EventMetadata) -> NewEvent {
            var w = ByteWriter()
            switch self {
            case .deposited(let n): w.writeZigzag(n); return NewEvent(type: "test.deposited", metadata: metadata, payload: w.bytes)
            case .withdrew(let n): w.writeZigzag(n); return NewEvent(type: "test.withdrew", metadata: metadata, payload: w.bytes)
            }
        }
        static func decode(_ r: RecordedEvent) throws(JournalError) -> Event? {
            let n = try r.payload.withBytes { (raw) throws(JournalError) -> Int64 in
                var reader = ByteReader(raw)
                return try reader.readZigzag()
            }
            switch r.type {
            case "test.deposited": return .deposited(n)
            case "test.withdrew": return .withdrew(n)
            default: return nil
            }
        }
    }
    typealias Context = Void
    static func initialState(id: UInt64) -> State { State() }
    static func decide(_ c: Command, state: State, context: Void) throws(CommandRejected) -> [Event] {
        switch c {
        case .deposit(let n): return [.deposited(n)]
        case .withdraw(let n):
            guard state.balance >= n else { throw CommandRejected("insufficientFunds", "balance \(state.balance) is below \(n)") }
            return [.withdrew(n)]
        }
    }
    static func evolve(_ s: inout State, with e: Event) {
        switch e {
        case .deposited(let n): s.balance += n
        case .withdrew(let n): s.balance -= n
        }
    }
    static let stateVersion: UInt16 = 1
    static func encode(_ s: State, into w: inout ByteWriter) { w.writeZigzag(s.balance) }
    static func decode(_ r: inout ByteReader) throws(JournalError) -> State { State(balance: try r.readZigzag()) }
    static func residentBytes(_ s: State) -> Int { 8 }
}

/// A file system whose `sync` waits while its gate is closed: appends stay in flight for as long as a test
/// wants.
final class GatedFileSystem: JournalFileSystem {
    private let base = PosixFileSystem()
    let closed = Atomic<Bool>(false)

    func createDirectory(_ path: String) throws(JournalError) { try base.createDirectory(path) }
    func listDirectory(_ path: String) throws(JournalError) -> [String] { try base.listDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func openFile(_ path: String, create: Bool) throws(JournalError) -> any JournalFileHandle {
        GatedHandle(base: try base.openFile(path, create: create), closed: self)
    }
    func rename(_ from: String, _ to: String) throws(JournalError) { try base.rename(from, to) }
    func remove(_ path: String) throws(JournalError) { try base.remove(path) }
    func syncDirectory(_ path: String) throws(JournalError) { try base.syncDirectory(path) }

    final class GatedHandle: JournalFileHandle {
        let base: any JournalFileHandle
        let fs: GatedFileSystem
        init(base: any JournalFileHandle, closed fs: GatedFileSystem) {
            self.base = base
            self.fs = fs
        }
        func size() throws(JournalError) -> Int { try base.size() }
        func read(at offset: Int, count: Int) throws(JournalError) -> [UInt8] { try base.read(at: offset, count: count) }
        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(JournalError) { try base.write(bytes, at: offset) }
        func sync() throws(JournalError) {
            while fs.closed.load(ordering: .acquiring) { usleep(1000) }
            try base.sync()
        }
        func truncate(to size: Int) throws(JournalError) { try base.truncate(to: size) }
        func close() { base.close() }
    }
}
