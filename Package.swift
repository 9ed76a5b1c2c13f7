// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Reel",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ReelJournal", targets: ["ReelJournal"]),
        .library(name: "ReelDomain", targets: ["ReelDomain"]),
        /// The embeddable engine: what a host server depends on.
        .library(name: "Reel", targets: ["Reel"]),
        /// Uploads, the transcoding pipeline and the media job queue, for hosts that accept videos.
        .library(name: "ReelMedia", targets: ["ReelMedia"]),
        /// The HTTP API, media delivery and web client, embeddable in a Hummingbird host.
        .library(name: "ReelServer", targets: ["ReelServer"]),
        .executable(name: "reel", targets: ["ReelCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(
            name: "ReelJournal",
            dependencies: [
                "CZstd",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ReelRuntime",
            dependencies: ["ReelJournal", .product(name: "Logging", package: "swift-log")],
            // The entity actor is generic over the entity: without its bodies in the module interface, every
            // command runs unspecialized code (value witnesses, metadata lookups). Decision 0018.
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]
        ),
        .target(name: "ReelDomain", dependencies: ["ReelJournal", "ReelRuntime"]),
        .target(
            name: "ReelViews",
            dependencies: [
                "ReelDomain", "ReelRuntime", "ReelJournal", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "ReelWorkloads", dependencies: ["ReelDomain", "ReelJournal", "Reel"]),
        .target(name: "ReelTesting", dependencies: ["ReelJournal"]),
        /// A prefetch hint for the ANN search (Swift has no intrinsic for it).
        .target(name: "CReelPrefetch"),
        /// The recommender: candidate scoring and re-ranking over the views.
        .target(
            name: "ReelRecommend",
            dependencies: ["ReelDomain", "ReelJournal", "ReelRuntime", "ReelViews", "CReelPrefetch", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Reel",
            dependencies: [
                "ReelJournal", "ReelDomain", "ReelRuntime", "ReelViews", "ReelRecommend",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        /// Uploads, blob storage, the one-pass ffmpeg pipeline and the event-driven media job queue.
        .target(
            name: "ReelMedia",
            dependencies: [
                "Reel", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        /// The HTTP server: API v1, media delivery, the web client (static resources), accounts and tokens.
        .target(
            name: "ReelServer",
            dependencies: [
                "Reel", "ReelMedia", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Public")]
        ),
        /// The simulated world with an oracle, the measuring instrument the recommender is judged by.
        .target(name: "ReelSimulation", dependencies: ["Reel", "ReelJournal", "ReelRecommend", "ReelWorkloads", .product(name: "Logging", package: "swift-log")]),
        /// The small host in the getting-started article: compiled in CI so the example stays true.
        .executableTarget(
            name: "ExampleHost",
            dependencies: ["Reel", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Examples/ExampleHost"
        ),
        .executableTarget(
            name: "ReelCLI",
            dependencies: [
                "Reel", "ReelJournal", "ReelDomain", "ReelWorkloads", "ReelRuntime", "ReelViews", "ReelSimulation", "ReelMedia", "ReelServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "ReelJournalTests",
            dependencies: [
                "ReelJournal", "ReelDomain", "ReelTesting", "ReelWorkloads",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: []
        ),
        .testTarget(
            name: "ReelRuntimeTests",
            dependencies: [
                "ReelJournal", "ReelRuntime", "ReelDomain", "ReelViews", "ReelWorkloads", "ReelTesting", "ReelRecommend",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "ReelServerTests",
            dependencies: [
                "ReelServer", "ReelMedia", "Reel", "ReelTesting", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(name: "ReelMediaTests", dependencies: ["ReelMedia", "Reel", "ReelTesting"]),
        .testTarget(name: "ReelDomainTests", dependencies: ["ReelDomain", "ReelRuntime", "ReelJournal"]),
        .testTarget(name: "ReelSimulationTests", dependencies: ["ReelSimulation", "ReelWorkloads", "Reel", "ReelJournal", "ReelTesting"]),
        /// Uses only the public `Reel` API, as a host would (plus the test file system for fault injection).
        .testTarget(
            name: "ReelEngineTests",
            dependencies: [
                "Reel", "ReelTesting", "ReelJournal", "ReelViews", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
