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
        .library(name: "EvalSQLite", targets: ["EvalSQLite"]),
        .library(name: "EvalStore", targets: ["EvalStore"]),
        .library(name: "EvalStoreSQLite", targets: ["EvalStoreSQLite"]),
        .library(name: "EvalStorePostgres", targets: ["EvalStorePostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The PostgreSQL backend (issue 16): the wire protocol in Swift, no libpq.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // SHA-256 of the inputs in BoringSSL's assembly (already built for the PostgreSQL backend's TLS).
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The system zlib, for GZIP-compressed TFRecord files.
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // glibc's malloc_trim, to return freed memory between the phases of a large import.
        .systemLibrary(name: "CMemory"),
        .target(name: "EvalKit", swiftSettings: strictSettings),
        .target(
            name: "EvalFormats",
            dependencies: ["EvalKit", "CZlib", "CMemory", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        // The thin SQLite wrapper: connection, statements, values, errors, migrations. Knows nothing of evaldb.
        .target(name: "EvalSQLite", dependencies: ["CSQLite"], swiftSettings: strictSettings),
        // The store interface and the services (import, evaluation, bootstrap): no SQL.
        .target(name: "EvalStore", dependencies: ["EvalKit", "EvalFormats"], swiftSettings: strictSettings),
        // The store in SQLite: the schema, its migrations and every query.
        .target(
            name: "EvalStoreSQLite",
            dependencies: ["EvalSQLite", "EvalStore", "EvalKit", "EvalFormats"],
            swiftSettings: strictSettings
        ),
        // The store in PostgreSQL: the same tables and views, COPY for bulk loads, a blocking bridge to postgres-nio.
        .target(
            name: "EvalStorePostgres",
            dependencies: [
                "EvalStore", "EvalKit", "EvalFormats",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "evaldb",
            dependencies: [
                "EvalKit", "EvalFormats", "EvalStore", "EvalStoreSQLite", "EvalSQLite", "EvalStorePostgres",
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
        .testTarget(name: "EvalSQLiteTests", dependencies: ["EvalSQLite"], swiftSettings: strictSettings),
        .testTarget(
            name: "EvalStoreTests",
            dependencies: ["EvalStore", "EvalStoreSQLite", "EvalSQLite", "EvalFormats", "EvalKit"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "EvalStorePostgresTests", dependencies: ["EvalStorePostgres"], swiftSettings: strictSettings),
        .testTarget(
            name: "evaldbTests",
            dependencies: ["evaldb"],
            swiftSettings: strictSettings
        ),
    ]
)
