import Foundation

/// Seconds since an arbitrary start, monotonic.
/// CPU time this process has used (all threads, user and system).
func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// This process's resident memory now, in bytes (`/proc/self/statm`; 0 where there is none).
func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// The q-quantile (0...1) of unsorted values.
func quantile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted()
    let i = min(s.count - 1, max(0, Int((Double(s.count) * q).rounded(.up)) - 1))
    return s[i]
}

func makeScratch(_ given: String?) throws -> String {
    if let given {
        try FileManager.default.createDirectory(atPath: given, withIntermediateDirectories: true)
        return given
    }
    let dir = NSTemporaryDirectory() + "reel-bench-\(getpid())-\(Int(Date().timeIntervalSince1970))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func log(_ s: String) {
    FileHandle.standardError.write(Data(("[bench] " + s + "\n").utf8))
}

/// The path of the running executable (to start helper processes of the same build).
func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

import Synchronization

/// A shared counter that hands out ranges of indexes to concurrent workers.
final class IndexCounter: Sendable {
    private let value: Atomic<Int>
    init(_ start: Int = 0) { value = Atomic(start) }
    /// Takes `n` indexes and returns the first.
    func take(_ n: Int) -> Int { value.wrappingAdd(n, ordering: .relaxed).oldValue }
}

/// Runs `clients` concurrent tasks that take the indexes 0..<count in turn, each calling `body` with one.
func eachIndex(_ count: Int, clients: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    let next = IndexCounter()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<clients {
            group.addTask {
                while true {
                    let i = next.take(1)
                    if i >= count { return }
                    try await body(i)
                }
            }
        }
        try await group.waitForAll()
    }
}

/// Writes whole lines to standard output from concurrent tasks.
final class LineWriter: Sendable {
    private let lock = Mutex(())
    func say(_ s: String) {
        lock.withLock { _ in FileHandle.standardOutput.write(Data((s + "\n").utf8)) }
    }
}
