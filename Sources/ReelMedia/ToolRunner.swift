import Foundation
import Synchronization

/// How a tool run ended, when it did not succeed. `timedOut` and `diskFull` are worth retrying; a tool that
/// rejects the input is not.
public struct ToolFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case cannotStart, timedOut, diskFull, crashed, failed }
    public var kind: Kind
    public var tool: String
    public var status: Int32
    /// The end of what the tool wrote to standard error.
    public var stderrTail: String
    public var description: String {
        switch kind {
        case .cannotStart: "\(tool) could not be started: \(stderrTail)"
        case .timedOut: "\(tool) ran out of time and was killed"
        case .diskFull: "the disk is full (\(tool): \(stderrTail))"
        case .crashed: "\(tool) crashed (signal \(status))"
        case .failed: "\(tool) failed (exit \(status)): \(stderrTail)"
        }
    }
    public var isTransient: Bool { kind != .failed }
}

/// Runs ffmpeg and ffprobe as hostile-input processors: inside `prlimit` (address space, file size, CPU
/// seconds), with a wall-clock limit after which the process is killed, and with standard output and error
/// going to files (never pipes that could fill and deadlock).
public struct ToolRunner: Sendable {
    public var limits: MediaLimits
    public var ffmpeg = "ffmpeg"
    public var ffprobe = "ffprobe"

    public init(limits: MediaLimits) { self.limits = limits }

    /// Runs `tool` in `directory` and returns its standard output. Throws ``ToolFailure``. With `pidFile`, the
    /// tool's process id is written there while it runs, so that a later start can kill a tool orphaned by a
    /// crash of this process (a child outlives a SIGKILLed parent).
    public func run(_ tool: String, _ arguments: [String], in directory: String, pidFile: String? = nil) async throws(ToolFailure) -> Data {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("reel-tool-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)

        let process = Process()
        var argv = [tool] + arguments
        if let prlimit = Self.prlimitPath {
            let cpu = limits.toolTimeoutSeconds * max(1, ProcessInfo.processInfo.activeProcessorCount)
            argv = ["--as=\(limits.memoryLimitBytes)", "--fsize=\(limits.outputFileLimitBytes)", "--cpu=\(cpu)", "--core=0", "--"] + argv
            process.executableURL = URL(fileURLWithPath: prlimit)
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        }
        process.arguments = argv
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        guard let out = try? FileHandle(forWritingTo: outURL), let err = try? FileHandle(forWritingTo: errURL) else {
            throw ToolFailure(kind: .cannotStart, tool: tool, status: -1, stderrTail: "no scratch files")
        }
        defer {
            try? out.close()
            try? err.close()
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice

        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in
            exited.continuation.yield()
            exited.continuation.finish()
        }
        do { try process.run() } catch { throw ToolFailure(kind: .cannotStart, tool: tool, status: -1, stderrTail: "\(error)") }
        let pid = process.processIdentifier
        if let pidFile { _ = FileManager.default.createFile(atPath: pidFile, contents: Data("\(pid)".utf8)) }
        defer { if let pidFile { try? FileManager.default.removeItem(atPath: pidFile) } }
        // The limit is kept by a dispatch timer, not a task: a busy cooperative pool (folds, feeds) must not
        // delay the kill (a sleeping task on a starved pool fired 11 s late under the test suite's load).
        let fired = Flag()
        let killer = DispatchWorkItem {
            fired.value.store(true, ordering: .sequentiallyConsistent)
            kill(pid, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(limits.toolTimeoutSeconds * 1000)), execute: killer)
        await withTaskCancellationHandler {
            for await _ in exited.stream { break }
        } onCancel: {
            kill(pid, SIGKILL)
        }
        killer.cancel()
        let timedOut = fired.value.load(ordering: .sequentiallyConsistent)
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        let tail = String(stderr.suffix(600)).trimmingCharacters(in: .whitespacesAndNewlines)
        let status = process.terminationStatus
        if timedOut { throw ToolFailure(kind: .timedOut, tool: tool, status: status, stderrTail: tail) }
        if stderr.contains("No space left on device") || stderr.contains("File too large") {
            throw ToolFailure(kind: .diskFull, tool: tool, status: status, stderrTail: tail)
        }
        if process.terminationReason == .uncaughtSignal { throw ToolFailure(kind: .crashed, tool: tool, status: status, stderrTail: tail) }
        guard status == 0 else { throw ToolFailure(kind: .failed, tool: tool, status: status, stderrTail: tail) }
        return (try? Data(contentsOf: outURL)) ?? Data()
    }

    static let prlimitPath: String? = ["/usr/bin/prlimit", "/bin/prlimit"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Set by the timer that killed a tool.
private final class Flag: Sendable { let value = Atomic<Bool>(false) }

/// Kills a tool left running by a crashed process, named by a pid file `ToolRunner.run` wrote; only when that
/// process is still an ffmpeg or ffprobe (pids are reused).
public func killOrphanedTool(pidFile: String) {
    guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
        let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
    else { return }
    let command = String(decoding: cmdline.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    if command.contains("ffmpeg") || command.contains("ffprobe") {
        kill(pid, SIGKILL)
        for _ in 0..<100 where FileManager.default.fileExists(atPath: "/proc/\(pid)") { usleep(10_000) }
    }
}
