import Foundation

/// The `reel` executable `make test` built for this package (debug first), found from the calling test
/// file's path; nil when it was not built.
public func reelExecutable(testFile: String = #filePath) -> String? {
    var url = URL(fileURLWithPath: testFile)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    for config in ["debug", "release"] {
        let p = "\(url.path)/.build/\(config)/reel"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

/// Runs `reel` with `arguments` to the end and returns its standard output (standard error is discarded).
public func runReel(_ executable: String, _ arguments: [String]) throws -> String {
    try runProcess(executable, arguments).output
}

/// Runs an executable to the end; returns its exit status and standard output (standard error is discarded).
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs `reel` with `arguments` until it has printed at least `acks` lines starting with "ack ", waits
/// `grace` more, kills it with SIGKILL and returns the `(id, version)` of every `ack <id> <version>` line.
public func runReelUntilKilled(_ executable: String, _ arguments: [String], acks: Int, grace: Duration) async throws -> [(UInt64, UInt64)] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let reader = out.fileHandleForReading
    var received = Data()
    while String(decoding: received, as: UTF8.self).components(separatedBy: "ack ").count <= acks {
        let chunk = reader.availableData
        if chunk.isEmpty { break }
        received.append(chunk)
    }
    try await Task.sleep(for: grace)
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    received.append(reader.readDataToEndOfFile())
    return String(decoding: received, as: UTF8.self).split(separator: "\n").compactMap { line in
        let f = line.split(separator: " ")
        guard f.count == 3, f[0] == "ack", let id = UInt64(f[1]), let v = UInt64(f[2]) else { return nil }
        return (id, v)
    }
}
