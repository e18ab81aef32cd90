import Foundation
import TestSupport
import XCTest
@testable import LibraryScanner

final class TrackCatalogTests: FolderTestCase {
    private func openCatalog() throws -> TrackCatalog {
        try TrackCatalog(path: folder.appending("db/library.sqlite").displayString)
    }

    private func track(_ name: [UInt8], failure: String? = nil) -> CatalogTrack {
        CatalogTrack(path: folder.appending(name), size: 10, modificationTimeNs: 5, format: .flac,
                     tags: TrackTags(title: "T", year: 2001), duration: 1.5, failure: failure,
                     scannedAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    func testDefaultPathFollowsXDG() {
        XCTAssertEqual(TrackCatalog.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"]),
                       "/data/tunescore/library.sqlite")
        XCTAssertEqual(TrackCatalog.defaultPath(environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/u"]),
                       "/home/u/.local/share/tunescore/library.sqlite")
        XCTAssertEqual(TrackCatalog.defaultPath(environment: ["HOME": "/home/u"]),
                       "/home/u/.local/share/tunescore/library.sqlite")
    }

    func testMigrationsAreRecordedAndReopeningKeepsRows() throws {
        let catalog = try openCatalog()
        XCTAssertEqual(try catalog.appliedMigrations(), TrackCatalog.migrationIdentifiers)
        XCTAssertEqual(TrackCatalog.migrationIdentifiers.first, "catalog.v1-track")
        try catalog.save([track(Array("a.flac".utf8))])
        let reopened = try openCatalog()
        XCTAssertEqual(try reopened.appliedMigrations(), TrackCatalog.migrationIdentifiers)
        XCTAssertEqual(try reopened.tracks(), [track(Array("a.flac".utf8))])
    }

    func testSavingAgainReplacesTheRowOfThatPath() throws {
        let catalog = try openCatalog()
        try catalog.save([track(Array("a.flac".utf8)), track(Array("b.flac".utf8))])
        var changed = track(Array("a.flac".utf8), failure: "content error 3: truncated")
        changed.size = 11
        try catalog.save([changed])
        XCTAssertEqual(try catalog.track(at: changed.path), changed)
        XCTAssertEqual(try catalog.tracks(), [track(Array("b.flac".utf8))])
        XCTAssertEqual(try catalog.failures().map(\.path), [changed.path])
    }

    func testRawPathsRoundTripAndFailuresAreSeparate() throws {
        let catalog = try openCatalog()
        let odd: [UInt8] = [0x61, 0xFF, 0xFE, 0x2E, 0x66]
        try catalog.save([track(odd), track(Array("bad.mp3".utf8), failure: "content error 2: not audio")])
        let tracks = try catalog.tracks()
        XCTAssertEqual(tracks, [track(odd)])
        XCTAssertEqual(try catalog.failures(),
                       [TrackFailure(path: folder.appending("bad.mp3"), reason: "content error 2: not audio")])
        try catalog.remove([folder.appending(odd)])
        XCTAssertEqual(try catalog.tracks(), [])
    }

    func testSeveralConnectionsWritingAtOnceDoNotFail() throws {
        // Separate pools are separate SQLite connections, locking like separate processes would.
        let path = folder.appending("db/library.sqlite").displayString
        let writers = 4
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                let catalog = try TrackCatalog(path: path)
                for round in 0..<20 {
                    let tracks = (0..<10).map { index in
                        CatalogTrack(path: RawPath("/music/\(writer)/\(round)/\(index).flac"), size: 1,
                                     modificationTimeNs: 1, format: .flac, tags: TrackTags(), duration: 1,
                                     failure: nil, scannedAt: Date())
                    }
                    try catalog.save(tracks)
                    _ = try catalog.tracks()
                }
            } catch {
                failures.append("\(error)")
            }
        }
        XCTAssertEqual(failures.value, [])
        XCTAssertEqual(try TrackCatalog(path: path).tracks().count, writers * 20 * 10)
    }

    func testAnotherProcessHoldingTheWriteLockMakesUsWaitNotFail() throws {
        let sqlite = URL(fileURLWithPath: "/usr/bin/sqlite3")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: sqlite.path), "needs the sqlite3 program")
        let catalog = try openCatalog()
        let other = Process()
        other.executableURL = sqlite
        other.arguments = [catalog.path]
        let input = Pipe()
        other.standardInput = input
        other.standardOutput = FileHandle.nullDevice
        try other.run()
        input.fileHandleForWriting.write(Data("""
            BEGIN IMMEDIATE;
            INSERT INTO track (path, size, mtime_ns, scanned_at, scanner_version) VALUES (x'2f6f74686572', 1, 1, 0, 1);

            """.utf8))
        Thread.sleep(forTimeInterval: 0.3)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.7) {
            input.fileHandleForWriting.write(Data("COMMIT;\n.quit\n".utf8))
        }
        let start = Date()
        try catalog.save([track(Array("mine.flac".utf8))])
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.3, "the save waited for the other process")
        other.waitUntilExit()
        XCTAssertEqual(try catalog.tracks().count, 2)
    }
}
