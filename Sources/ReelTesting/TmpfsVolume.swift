import Foundation

/// A small tmpfs mounted for one test, with a ballast file to fill it and free it again.
public struct TmpfsVolume {
    public let path: String

    public static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        guard let probe = try? TmpfsVolume(megabytes: 1) else { return false }
        probe.unmount()
        return true
    }()

    public init(megabytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("reel-tmpfs-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard shell("mount -t tmpfs -o size=\(megabytes)m tmpfs \(path)") == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw CocoaError(.fileWriteNoPermission)
        }
    }

    /// Writes a ballast file until only about `leavingKilobytes` remain free.
    public func fill(leavingKilobytes: Int) throws {
        var stats = statvfs()
        statvfs(path, &stats)
        let free = Int(stats.f_bavail) * Int(stats.f_frsize)
        let ballast = max(0, free - leavingKilobytes * 1024)
        _ = FileManager.default.createFile(atPath: "\(path)/ballast", contents: Data(count: ballast))
    }

    public func freeBallast() { try? FileManager.default.removeItem(atPath: "\(path)/ballast") }

    public func unmount() {
        _ = shell("umount \(path)")
        try? FileManager.default.removeItem(atPath: path)
    }

    @discardableResult
    func shell(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command + " 2>/dev/null"]
        try? p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }
}
