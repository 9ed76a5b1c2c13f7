import Foundation
import ReelTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Idle connections are closed (`server.idleConnectionSeconds`): a client that connects and sends nothing, or
/// keeps a connection open after its answer, does not hold a socket for ever (issue 24, item 7).
@Suite(.enabled(if: reelExecutable() != nil, "needs the reel binary")) struct IdleConnectionTests {
    /// A TCP connection to loopback; the descriptor.
    func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0 else { throw TestFailure("cannot connect to \(port): errno \(errno)") }
        return fd
    }

    /// Reads until the peer closes (true) or `seconds` pass (false).
    func closedByPeer(_ fd: Int32, within seconds: Double) -> Bool {
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = read(fd, &buffer, buffer.count)
            if n == 0 { return true }
            if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return true }  // reset counts as closed
        }
        return false
    }

    @Test func idleConnectionsAreClosed() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let port = Int.random(in: 20_000...40_000)
        let server = try startReelServe(dataDir: "\(dir)/data", port: port, environment: ["REEL_SERVER_IDLE_CONNECTION_SECONDS": "2"])
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        try await waitHealthy(port: port)
        // Silent from the start.
        let silent = try connect(port)
        defer { close(silent) }
        #expect(closedByPeer(silent, within: 20), "a connection that never sent a byte is still open after 20 s")
        // Kept alive after an answer.
        let kept = try connect(port)
        defer { close(kept) }
        let request = Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect(write(kept, request, request.count) == request.count)
        #expect(
            closedByPeer(kept, within: 20), "a keep-alive connection idle after its answer is still open after 20 s")
        // A connection in use is not cut: a request every 0.4 s for longer than the idle limit, all answered on it.
        let busy = try connect(port)
        defer { close(busy) }
        var tv = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(busy, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        var answered = 0
        for _ in 0..<6 {  // 6 × 0.4 s: longer than the idle limit
            guard write(busy, request, request.count) == request.count else { break }
            // One whole answer (`/health` is a small JSON body with a Content-Length) before the next request.
            var text = ""
            while !(text.contains("\r\n\r\n") && text.hasSuffix("}")) {
                let n = read(busy, &buffer, buffer.count)
                guard n > 0 else { break }
                text += String(decoding: buffer[0..<n], as: UTF8.self)
            }
            guard text.hasPrefix("HTTP/1.1 200") else { break }
            answered += 1
            try await Task.sleep(for: .milliseconds(400))
        }
        #expect(answered >= 6, "the busy connection answered \(answered) requests before it was cut")
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
    }
}
