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
        files.map { String($0.path.displayString.dropFirst(folder.displayString.count + 1)) }
    }

    func testWalksRecursivelyInNameOrderSkippingHidden() throws {
        makeFolder(folder.appending("b"))
        makeFolder(folder.appending(".hidden"))
        for name in ["a.txt", "b/c.txt", "b/.secret", ".hidden/x.txt"] {
            try FixtureWriter.writeBytes([1, 2, 3], to: folder.appending(name))
        }
        let (files, failures) = LibraryWalker().files(in: [folder])
        XCTAssertEqual(names(files), ["a.txt", "b/c.txt"])
        XCTAssertEqual(files[0].size, 3)
        XCTAssertGreaterThan(files[0].modificationTimeNs, 1_000_000_000 * 1_600_000_000)
        XCTAssertEqual(failures, [])
    }

    func testNonUTF8NamesAreKeptExactly() throws {
        let name: [UInt8] = Array("caf".utf8) + [0xFF, 0xFE] + Array(".bin".utf8)
        let path = folder.appending(name)
        try FixtureWriter.writeBytes([7], to: path)
        let (files, _) = LibraryWalker().files(in: [folder])
        XCTAssertEqual(files.map(\.path), [path])
        XCTAssertFalse(files[0].path.isValidUTF8)
        XCTAssertEqual(files[0].path.lastComponent, name)
        XCTAssertTrue(files[0].path.displayString.hasSuffix("caf\u{FFFD}\u{FFFD}.bin"))
    }

    func testSymlinkLoopsTerminateAndLinkedFilesAppearOnce() throws {
        makeFolder(folder.appending("music"))
        try FixtureWriter.writeBytes([1], to: folder.appending("music/song.bin"))
        link(folder.appending("music/loop"), to: "..")  // points back up: a cycle
        link(folder.appending("alias"), to: "music")
        link(folder.appending("self"), to: "self")  // ELOOP when resolved
        let (files, failures) = LibraryWalker().files(in: [folder])
        XCTAssertEqual(files.count, 1)
        XCTAssertEqual(failures.map(\.code), [ELOOP])
    }

    func testUnreadablePathsAreReportedAndTheWalkGoesOn() throws {
        makeFolder(folder.appending("locked"))
        try FixtureWriter.writeBytes([1], to: folder.appending("locked/inside.bin"))
        try FixtureWriter.writeBytes([1], to: folder.appending("z-after.bin"))
        link(folder.appending("dangling"), to: "nowhere")
        XCTAssertEqual(folder.appending("locked").withCString { chmod($0, 0) }, 0)
        let missingRoot = folder.appending("missing")

        let (files, failures) = LibraryWalker().files(in: [folder, missingRoot])
        XCTAssertTrue(names(files).contains("z-after.bin"))
        XCTAssertTrue(failures.contains { $0.path == folder.appending("dangling") && $0.code == ENOENT })
        XCTAssertTrue(failures.contains { $0.path == missingRoot && $0.code == ENOENT })
        XCTAssertTrue(failures.allSatisfy { $0.description.contains($0.path.displayString) })
        // root reads a chmod 000 folder anyway; elsewhere the folder must be reported.
        if geteuid() != 0 {
            XCTAssertTrue(failures.contains { $0.path == folder.appending("locked") && $0.code == EACCES })
            XCTAssertFalse(names(files).contains("locked/inside.bin"))
        }
    }

    func testAFileGivenAsRootIsVisited() throws {
        let path = folder.appending("single.bin")
        try FixtureWriter.writeBytes([1, 2], to: path)
        XCTAssertEqual(LibraryWalker().files(in: [path]).files.map(\.path), [path])
    }
}
