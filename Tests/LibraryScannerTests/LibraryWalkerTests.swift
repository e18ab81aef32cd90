import XCTest
@testable import LibraryScanner

final class LibraryWalkerTests: FolderTestCase {
    private func makeFolder(_ path: RawPath) {
        XCTAssertEqual(path.withCString { mkdir($0, 0o755) }, 0)
    }

    private func link(_ link: RawPath, to target: String) {
        XCTAssertEqual(link.withCString { symlink(target, $0) }, 0)
    }

    private func names(_ files: [WalkedFile]) -> [String] {
        files.map { String($0.path.displayString.dropFirst(folder.path.displayString.count + 1)) }
    }

    func testWalksRecursivelyInNameOrderSkippingHidden() throws {
        makeFolder(folder.path.appending("b"))
        makeFolder(folder.path.appending(".hidden"))
        for name in ["a.txt", "b/c.txt", "b/.secret", ".hidden/x.txt"] {
            try FixtureWriter.writeBytes([1, 2, 3], to: folder.path.appending(name))
        }
        let (files, failures) = LibraryWalker().files(in: [folder.path])
        XCTAssertEqual(names(files), ["a.txt", "b/c.txt"])
        XCTAssertEqual(files[0].size, 3)
        XCTAssertGreaterThan(files[0].modificationTimeNs, 1_000_000_000 * 1_600_000_000)
        XCTAssertEqual(failures, [])
    }

    func testNonUTF8NamesAreKeptExactly() throws {
        let name: [UInt8] = Array("caf".utf8) + [0xFF, 0xFE] + Array(".bin".utf8)
        let path = folder.path.appending(name)
        try FixtureWriter.writeBytes([7], to: path)
        let (files, _) = LibraryWalker().files(in: [folder.path])
        XCTAssertEqual(files.map(\.path), [path])
        XCTAssertFalse(files[0].path.isValidUTF8)
        XCTAssertEqual(files[0].path.lastComponent, name)
        XCTAssertTrue(files[0].path.displayString.hasSuffix("caf\u{FFFD}\u{FFFD}.bin"))
    }

    func testSymlinkLoopsTerminateAndLinkedFilesAppearOnce() throws {
        makeFolder(folder.path.appending("music"))
        try FixtureWriter.writeBytes([1], to: folder.path.appending("music/song.bin"))
        link(folder.path.appending("music/loop"), to: "..")  // points back up: a cycle
        link(folder.path.appending("alias"), to: "music")
        link(folder.path.appending("self"), to: "self")  // ELOOP when resolved
        let (files, failures) = LibraryWalker().files(in: [folder.path])
        XCTAssertEqual(files.count, 1)
        XCTAssertEqual(failures.map(\.code), [ELOOP])
    }

    func testUnreadablePathsAreReportedAndTheWalkGoesOn() throws {
        makeFolder(folder.path.appending("locked"))
        try FixtureWriter.writeBytes([1], to: folder.path.appending("locked/inside.bin"))
        try FixtureWriter.writeBytes([1], to: folder.path.appending("z-after.bin"))
        link(folder.path.appending("dangling"), to: "nowhere")
        XCTAssertEqual(folder.path.appending("locked").withCString { chmod($0, 0) }, 0)
        let missingRoot = folder.path.appending("missing")

        let (files, failures) = LibraryWalker().files(in: [folder.path, missingRoot])
        XCTAssertTrue(names(files).contains("z-after.bin"))
        XCTAssertTrue(failures.contains { $0.path == folder.path.appending("dangling") && $0.code == ENOENT })
        XCTAssertTrue(failures.contains { $0.path == missingRoot && $0.code == ENOENT })
        XCTAssertTrue(failures.allSatisfy { $0.description.contains($0.path.displayString) })
        // root reads a chmod 000 folder anyway; elsewhere the folder must be reported.
        if geteuid() != 0 {
            XCTAssertTrue(failures.contains { $0.path == folder.path.appending("locked") && $0.code == EACCES })
            XCTAssertFalse(names(files).contains("locked/inside.bin"))
        }
    }

    func testAFileGivenAsRootIsVisited() throws {
        let path = folder.path.appending("single.bin")
        try FixtureWriter.writeBytes([1, 2], to: path)
        XCTAssertEqual(LibraryWalker().files(in: [path]).files.map(\.path), [path])
    }
}
