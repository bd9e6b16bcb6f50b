// swift-tools-version: 6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "evaldb",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "evaldb", targets: ["evaldb"]),
        .library(name: "EvalKit", targets: ["EvalKit"]),
        .library(name: "EvalFormats", targets: ["EvalFormats"]),
        .library(name: "EvalStore", targets: ["EvalStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "EvalKit", swiftSettings: strictSettings),
        .target(name: "EvalFormats", dependencies: ["EvalKit"], swiftSettings: strictSettings),
        .target(
            name: "EvalStore",
            dependencies: ["CSQLite", "EvalKit", "EvalFormats"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "evaldb",
            dependencies: [
                "EvalKit", "EvalFormats", "EvalStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EvalKitTests", dependencies: ["EvalKit", "EvalFormats"], swiftSettings: strictSettings),
        .testTarget(
            name: "EvalFormatsTests",
            dependencies: ["EvalFormats", "EvalKit"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "EvalStoreTests", dependencies: ["EvalStore", "EvalFormats"], swiftSettings: strictSettings),
        .testTarget(
            name: "evaldbTests",
            dependencies: ["evaldb"],
            swiftSettings: strictSettings
        ),
    ]
)
