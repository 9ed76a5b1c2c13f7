import Foundation

/// Runs a tool found on the PATH to the end; returns its exit status and standard output (standard error is
/// discarded).
@discardableResult
public func runTool(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    try runProcess("/usr/bin/env", [name] + arguments)
}

/// Whether ffmpeg is installed (media tests are skipped, not failed, without it).
public let hasFFmpeg: Bool = (try? runTool("ffmpeg", ["-version"]).status) == 0

public struct ClipError: Error, CustomStringConvertible {
    public var description: String
}

/// Makes a clip with ffmpeg's lavfi sources (tests commit no binary fixtures). `video` is a lavfi source such
/// as "testsrc2=s=360x640:r=30:d=3", `audio` one such as "sine=f=440:d=3" (nil: silent); `extra` goes before
/// the output path (more inputs, filters, codecs).
@discardableResult
public func makeClip(_ path: String, video: String?, audio: String? = nil, extra: [String] = []) throws -> String {
    var args = ["-nostdin", "-y", "-v", "error"]
    if let video { args += ["-f", "lavfi", "-i", video] }
    if let audio { args += ["-f", "lavfi", "-i", audio] }
    if video != nil { args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"] }
    if audio != nil { args += ["-c:a", "aac", "-shortest"] }
    guard try runTool("ffmpeg", args + extra + [path]).status == 0 else { throw ClipError(description: "ffmpeg could not make \(path)") }
    return path
}
