import Foundation
import Reel
import ReelMedia
@_exported import ReelTesting

func temporaryDirectory() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-media-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func cleanup(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

/// Runs a tool and returns (status, stdout).
func tool(_ name: String, _ args: [String]) throws -> (Int32, String) {
    let r = try runTool(name, args)
    return (r.status, r.output)
}
