import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Reel
import Testing

@testable import ReelServer

/// Sign-up is atomic across crashes, one handle is one user however sign-ups race, and sign-ups are limited
/// per client address (issue 24, items 7 and 14).
@Suite(.serialized) struct SignUpTests {
    /// A crash between the steps leaves a pending account: the next start activates it if the journal has
    /// the user, and drops it (freeing the handle) if not. Before, the journal was written first and the
    /// account after the slow hash: kills left public users without a log-in.
    @Test func aSignUpCutByACrashIsSettledAtTheNextStart() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let config = serverConfiguration(dir)
        let (recorded, unrecorded): (UInt64, UInt64)
        do {
            let server = try ReelServer(configuration: config)
            let running = Task { try await server.engine.run() }
            while !server.engine.isReady { try await Task.sleep(for: .milliseconds(5)) }
            let accounts = server.api.accounts
            // Cut after the journal recorded the user, before the account went live...
            recorded = server.engine.newID()
            try await accounts.reserve(user: recorded, handle: "recorded", password: "a long password")
            try await server.engine.registerUser(id: recorded, handle: "recorded", region: "US", email: "r@example.org", displayName: "R")
            // ... and cut before the journal heard of the user at all.
            unrecorded = server.engine.newID()
            try await accounts.reserve(user: unrecorded, handle: "unrecorded", password: "a long password")
            #expect(try await accounts.verify(handle: "recorded", password: "a long password") == nil, "pending: no log-in yet")
            #expect(try accounts.handleTaken("unrecorded"), "pending: the handle is held")
            await server.engine.shutdown()
            try await running.value
        }
        let server = try ReelServer(configuration: config)
        let accounts = server.api.accounts
        #expect(try await accounts.verify(handle: "recorded", password: "a long password") == recorded)
        #expect(try !accounts.handleTaken("unrecorded"), "the handle of a sign-up that never happened is free again")
        #expect(try await accounts.verify(handle: "unrecorded", password: "a long password") == nil)
        _ = unrecorded
    }

    /// Eight sign-ups racing for one handle: one user, seven conflicts, and the one can log in.
    @Test func racingSignUpsForOneHandleMakeOneUser() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let server = try ReelServer(configuration: serverConfiguration(dir))
        try await server.application().test(.live) { client in
            let anon = API(client: client)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        try await anon.call(
                            .post, "/api/v1/users",
                            ["handle": "same", "email": "s\(i)@example.org", "display_name": "S", "password": "password \(i)"]
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .conflict }.count == 7, "\(statuses)")
            let users = try await anon.call(.get, "/api/v1/search?q=same&type=user")
            #expect((users["results"] as? [Any])?.count == 1, "\(users.json)")
        }
    }

    /// Over `server.signUpsPerMinute` from one address: 429 with a Retry-After, and log-in still works.
    @Test func signUpsAreLimitedPerClientAddress() async throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var config = serverConfiguration(dir)
        config.server.signUpsPerMinute = 3
        let server = try ReelServer(configuration: config)
        try await server.application().test(.live) { client in
            let anon = API(client: client)
            for i in 0..<3 { _ = try await anon.signUp("early\(i)") }
            let refused = try await anon.call(
                .post, "/api/v1/users", ["handle": "late", "email": "l@example.org", "display_name": "L", "password": "long enough"])
            #expect(refused.status == .tooManyRequests && refused.errorCode == "rateLimited")
            #expect(refused.headers[.retryAfter] == "60")
            #expect(try await anon.call(.post, "/api/v1/sessions", ["handle": "early0", "password": "secret-early0"]).status == .ok)
        }
    }
}
