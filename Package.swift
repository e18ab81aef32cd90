// swift-tools-version:6.0
import PackageDescription

/// System-library targets: one per C library, each a module map plus a shim header.
func systemLibrary(_ name: String, pkgConfig: String, apt: [String]) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig, providers: [.apt(apt)])
}

let package = Package(
    name: "tunescore",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tunescore", targets: ["tunescore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // C++17 over libtorch behind a plain C header. The libtorch C++ API headers live under
        // /usr/include/torch/csrc/api/include; the symlink `torch-api` makes that a relative header
        // search path, so no unsafe flags are needed.
        .target(
            name: "CTorch",
            cxxSettings: [.headerSearchPath("torch-api")],
            linkerSettings: [
                .linkedLibrary("torch"), .linkedLibrary("torch_cpu"), .linkedLibrary("c10"),
                .linkedLibrary(":libtcmalloc_minimal.so.4"),
            ]
        ),
        systemLibrary("CTagLib", pkgConfig: "taglib_c", apt: ["libtagc0-dev"]),
        // TagLib's C++ API behind a plain C header: tags read from a file already open (the C API opens by path).
        .target(name: "CTagLibStream", linkerSettings: [.linkedLibrary("tag")]),
        systemLibrary("CMpg123", pkgConfig: "libmpg123", apt: ["libmpg123-dev"]),
        systemLibrary("CSndfile", pkgConfig: "sndfile", apt: ["libsndfile1-dev"]),
        systemLibrary("CFFmpeg", pkgConfig: "libavformat", apt: ["libavformat-dev", "libavcodec-dev"]),
        systemLibrary("CFFTW", pkgConfig: "fftw3f", apt: ["libfftw3-dev"]),
        systemLibrary("CSoxr", pkgConfig: "soxr", apt: ["libsoxr-dev"]),
        systemLibrary("CSox", pkgConfig: "sox", apt: ["libsox-dev"]),
        systemLibrary("CPng", pkgConfig: "libpng", apt: ["libpng-dev"]),
        .target(
            name: "LibraryScanner",
            dependencies: ["CTagLib", "CTagLibStream", "CMpg123", "CSndfile", "CFFmpeg", "CSoxr", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(name: "Features", dependencies: ["CFFTW", "CSox", "CSoxr"]),
        .target(name: "Model", dependencies: ["CTorch", "CPng", "Features", "LibraryScanner"]),
        .target(name: "Scoring", dependencies: ["Model", "Features", "LibraryScanner", .product(name: "GRDB", package: "GRDB.swift")]),
        // Every benchmark and experiment: the product targets above hold none.
        .target(name: "Benchmarks", dependencies: ["Scoring", "Model", "Features", "LibraryScanner"]),
        .executableTarget(
            name: "tunescore",
            dependencies: ["Benchmarks", "Scoring", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // What the test targets share (not part of the product), in two layers so a test target sees nothing above
        // the target it tests: TestSupport needs no product target (temporary folders, WAV files, test signals,
        // a locked value); ModelTestSupport adds fixtures made of Model's types.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .target(name: "ModelTestSupport", dependencies: ["TestSupport", "Model", "Features", "LibraryScanner"],
                path: "Tests/ModelTestSupport"),
        .testTarget(name: "LibraryScannerTests", dependencies: ["LibraryScanner", "TestSupport"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "TestSupport"]),
        .testTarget(name: "ModelTests", dependencies: ["Model", "TestSupport", "ModelTestSupport"]),
        .testTarget(name: "ScoringTests", dependencies: ["Scoring", "TestSupport", "ModelTestSupport"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "TestSupport", "ModelTestSupport"]),
        .testTarget(name: "tunescoreTests", dependencies: ["tunescore", "Scoring", "LibraryScanner", "TestSupport",
                                                     .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
