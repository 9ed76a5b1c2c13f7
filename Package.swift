// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Reel",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ReelJournal", targets: ["ReelJournal"]),
        .library(name: "ReelDomain", targets: ["ReelDomain"]),
        .executable(name: "reel", targets: ["reel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
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
        .target(name: "ReelRuntime", dependencies: ["ReelJournal", .product(name: "Logging", package: "swift-log")]),
        .target(name: "ReelDomain", dependencies: ["ReelJournal", "ReelRuntime"]),
        .target(
            name: "ReelViews",
            dependencies: [
                "ReelDomain", "ReelRuntime", "ReelJournal", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "ReelWorkloads", dependencies: ["ReelDomain", "ReelJournal"]),
        .target(name: "ReelTesting", dependencies: ["ReelJournal"]),
        .executableTarget(
            name: "reel",
            dependencies: [
                "ReelJournal", "ReelDomain", "ReelWorkloads", "ReelRuntime", "ReelViews",
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
                "ReelJournal", "ReelRuntime", "ReelDomain", "ReelViews", "ReelWorkloads", "ReelTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "ReelDomainTests", dependencies: ["ReelDomain", "ReelRuntime", "ReelJournal"]),
    ],
    swiftLanguageModes: [.v6]
)
