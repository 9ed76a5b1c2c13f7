import Foundation
import Reel
import ReelMedia

func temporaryDirectory() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-media-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func cleanup(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

/// Makes a clip with ffmpeg's lavfi sources (tests commit no binary fixtures). `video` is a lavfi source such
/// as "testsrc2=s=360x640:r=30:d=3"; `audio` a source such as "sine=f=440:d=3" or nil for silence.
@discardableResult
func makeClip(_ path: String, video: String?, audio: String? = nil, extra: [String] = []) throws -> String {
    var args = ["-nostdin", "-y", "-v", "error"]
    if let video { args += ["-f", "lavfi", "-i", video] }
    if let audio { args += ["-f", "lavfi", "-i", audio] }
    if video != nil { args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"] }
    if audio != nil { args += ["-c:a", "aac", "-shortest"] }
    args += extra + [path]
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["ffmpeg"] + args
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "ffmpeg could not make \(path)"]) }
    return path
}

/// Runs a tool and returns (status, stdout).
func tool(_ name: String, _ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [name] + args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

let hasFFmpeg: Bool = (try? tool("ffmpeg", ["-version"]).0) == 0
