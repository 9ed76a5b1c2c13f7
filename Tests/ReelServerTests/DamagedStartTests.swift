import Foundation
import Reel
import ReelServer
import ReelTesting
import Testing

/// `reel serve`, as an operator starts it, on a data directory damaged on disk (issue 24, item 11): the
/// process refuses to start and its message names the file (and, in the journal, the byte offset) and says
/// to restore from a backup; it never becomes ready on damaged history.
@Suite(.enabled(if: reelExecutable() != nil, "needs the reel binary")) struct DamagedStartTests {
    /// A data directory whose journal has several sealed segments, and an account store beside it.
    func populated(_ dir: String) async throws {
        var config = ReelConfiguration(dataDirectory: dir)
        config.journal.segmentSizeBytes = 1 << 16
        let engine = try ReelEngine(configuration: config)
        let task = Task { try await engine.run() }
        while !engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
        // Sign-ups carry sealed personal data: the journal needs its key store as well as its segments.
        for i in 0..<2_000 {
            _ = try await engine.registerUser(handle: "sealed\(i)", region: "US", email: "s\(i)@example.org", displayName: "S \(i)")
        }
        await engine.shutdown()
        try await task.value
        _ = try AccountStore(path: "\(dir)/accounts.sqlite")
    }

    /// Runs `reel serve` until it exits (or 60 s): its exit status and standard error.
    func serve(_ dir: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: reelExecutable()!)
        p.arguments = ["serve", "--data-dir", dir, "--port", "0", "--log-level", "warning"]
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            return (-1, "still running after 60 s")
        }
        return (p.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test(arguments: ["a flipped byte in a sealed segment", "a garbled accounts.sqlite"])
    func aDamagedDirectoryIsRefusedByTheRealServer(_ damage: String) async throws {
        let dir = NSTemporaryDirectory() + "reel-damaged-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await populated(dir)
        let file: String
        var words = ["backup"]
        if damage.hasPrefix("a flipped byte") {
            let segments = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/journal").filter { $0.hasSuffix(".seg") }.sorted()
            try #require(segments.count >= 3, "sealed segments to damage: \(segments)")
            file = segments[0]
            let path = "\(dir)/journal/\(file)"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count / 2] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
            words.append("at byte")
        } else {
            file = "accounts.sqlite"
            let handle = try #require(FileHandle(forUpdatingAtPath: "\(dir)/\(file)"))
            try handle.write(contentsOf: Data(repeating: 0x5A, count: 100))
            try handle.close()
            words.append("damaged")
        }
        let (status, stderr) = try serve(dir)
        #expect(status != 0, "\(damage): the server started (\(status)): \(stderr)")
        for w in words + [file] { #expect(stderr.contains(w), "\"\(w)\" in: \(stderr)") }
    }
}
