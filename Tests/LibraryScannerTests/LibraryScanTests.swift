import Foundation
import TestSupport
import XCTest
@testable import LibraryScanner

final class LibraryScanTests: FolderTestCase {
    private var catalog: TrackCatalog!
    private var music: RawPath { folder.appending("music") }
    private let nonUTF8Name: [UInt8] = Array("caf".utf8) + [0xFF, 0xFE] + Array(".flac".utf8)

    override func setUpWithError() throws {
        try super.setUpWithError()
        catalog = try TrackCatalog(path: folder.appending("library.sqlite").displayString)
        XCTAssertEqual(music.withCString { mkdir($0, 0o755) }, 0)
    }

    override func tearDown() {
        catalog = nil
        super.tearDown()
    }

    /// Six good files (one per format), two with unusual names, four broken ones and a cover image.
    private func makeLibrary() throws {
        for format in FixtureFormat.allCases {
            try FixtureWriter.writeTone(format, seconds: 1.5, to: music.appending("tone.\(format.fileExtension)"))
        }
        try FixtureWriter.writeTone(.flac, seconds: 1, to: music.appending("Björk – Jóga ♫.flac"))
        try FixtureWriter.writeTone(.wav, seconds: 1, to: music.appending(nonUTF8Name))

        let truncated = try FixtureWriter.writeTone(.flac, seconds: 3, to: music.appending("truncated.flac"))
        let whole = try FixtureWriter.readBytes(truncated)
        try FixtureWriter.writeBytes(Array(whole.prefix(whole.count / 3)), to: truncated)
        try FixtureWriter.writeBytes(Self.noise(count: 20000), to: music.appending("corrupt.mp3"))
        try FixtureWriter.writeBytes([], to: music.appending("empty.wav"))
        try FixtureWriter.writeBytes(Array("<html>not a song</html>".utf8), to: music.appending("page.ogg"))
        try FixtureWriter.writeBytes([0xFF, 0xD8, 0xFF, 0xE0] + Self.noise(count: 100), to: music.appending("cover.jpg"))
    }

    /// Deterministic bytes that no audio format recognises.
    private static func noise(count: Int) -> [UInt8] {
        var state: UInt32 = 12345
        return (0..<count).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16) & 0x7F
        }
    }

    func testScanRecordsGoodFilesAndFailuresWithoutStopping() throws {
        try makeLibrary()
        let summary = try LibraryScan().scan(folders: [music], catalog: catalog)
        XCTAssertEqual(summary.new, 8)
        XCTAssertEqual(summary.failed, 4)
        XCTAssertEqual(summary.ignored, 1)
        XCTAssertEqual(summary.skipped.map { String(decoding: $0.path.lastComponent, as: UTF8.self) }, ["cover.jpg"])
        XCTAssertTrue(summary.skipped[0].reason.contains("not a recognised audio format"), summary.skipped[0].reason)
        XCTAssertEqual(summary.unchanged, 0)

        let tracks = try catalog.tracks()
        XCTAssertEqual(tracks.count, 8)
        XCTAssertEqual(Set(tracks.compactMap(\.format)), [.wav, .flac, .aiff, .oggVorbis, .opus, .mp3], "the six fixture formats")
        for track in tracks where track.path.lastComponent.starts(with: Array("tone".utf8)) {
            XCTAssertEqual(track.duration ?? 0, 1.5, accuracy: 0.06, track.path.displayString)
        }
        let failures = Dictionary(uniqueKeysWithValues: try catalog.failures().map {
            (String(decoding: $0.path.lastComponent, as: UTF8.self), $0.reason)
        })
        XCTAssertEqual(Set(failures.keys), ["truncated.flac", "corrupt.mp3", "empty.wav", "page.ogg"])
        XCTAssertTrue(failures["empty.wav"]!.contains("empty"))
        XCTAssertTrue(failures["page.ogg"]!.contains("not a recognised audio format"))
    }

    func testUnicodeAndNonUTF8NamesScanAndDecode() throws {
        try makeLibrary()
        _ = try LibraryScan().scan(folders: [music], catalog: catalog)
        let paths = try catalog.tracks().map(\.path)
        let odd = try XCTUnwrap(paths.first { $0.lastComponent == nonUTF8Name })
        let unicode = try XCTUnwrap(paths.first { $0.displayString.hasSuffix("Björk – Jóga ♫.flac") })
        for path in [odd, unicode] {
            XCTAssertEqual(try AudioDecoder().decode(path: path).sourceDuration, 1, accuracy: 0.01)
        }
    }

    func testRescanReadsOnlyTheTouchedFile() throws {
        try makeLibrary()
        _ = try LibraryScan().scan(folders: [music], catalog: catalog)
        let again = try LibraryScan().scan(folders: [music], catalog: catalog)
        XCTAssertEqual([again.new, again.changed, again.failed, again.unchanged], [0, 0, 0, 12])

        let touched = music.appending("tone.flac")
        var times = [timespec(tv_sec: 1_800_000_000, tv_nsec: 123), timespec(tv_sec: 1_800_000_000, tv_nsec: 123)]
        XCTAssertEqual(touched.withCString { utimensat(AT_FDCWD, $0, &times, 0) }, 0)
        let afterTouch = try LibraryScan().scan(folders: [music], catalog: catalog)
        XCTAssertEqual([afterTouch.new, afterTouch.changed, afterTouch.failed, afterTouch.unchanged], [0, 1, 0, 11])
        XCTAssertEqual(try catalog.track(at: touched)?.modificationTimeNs, 1_800_000_000_000_000_123)
    }

    func testDeletedFilesAreRemovedAndRelativeFoldersAreMadeAbsolute() throws {
        try FixtureWriter.writeTone(.wav, seconds: 1, to: music.appending("a.wav"))
        try FixtureWriter.writeTone(.wav, seconds: 1, to: music.appending("b.wav"))
        _ = try LibraryScan().scan(folders: [music], catalog: catalog)
        XCTAssertEqual(music.appending("b.wav").withCString { unlink($0) }, 0)
        let previous = FileManager.default.currentDirectoryPath
        // The working folder is process-wide; XCTest runs these tests one at a time.
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.displayString))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }

        let summary = try LibraryScan().scan(folders: [RawPath("music/")], catalog: catalog)
        XCTAssertEqual(summary.removed, 1)
        XCTAssertEqual(summary.unchanged, 1)
        XCTAssertEqual(try catalog.tracks().map(\.path), [music.appending("a.wav")])
    }

    func testUnreadableFolderIsReportedAndKeepsItsRows() throws {
        let locked = music.appending("locked")
        XCTAssertEqual(locked.withCString { mkdir($0, 0o755) }, 0)
        try FixtureWriter.writeTone(.wav, seconds: 1, to: locked.appending("inside.wav"))
        try FixtureWriter.writeTone(.wav, seconds: 1, to: music.appending("outside.wav"))
        _ = try LibraryScan().scan(folders: [music], catalog: catalog)

        // As root chmod 000 does not stop reads, so the folder is swapped for a dangling link instead.
        try FixtureWriter.move(locked, to: music.appending(".moved"))
        XCTAssertEqual(locked.withCString { symlink(".moved-elsewhere", $0) }, 0)
        let summary = try LibraryScan().scan(folders: [music], catalog: catalog)
        XCTAssertEqual(summary.unreadable.map(\.path), [locked])
        XCTAssertEqual(summary.removed, 0)
        XCTAssertEqual(summary.unchanged, 1)
        XCTAssertEqual(try catalog.tracks().count, 2)
    }

    func testProgressReachesTheEndAndTheBarThrottles() throws {
        try makeLibrary()
        let events = Locked<[String]>([])
        let bar = ProgressBar(isTerminal: false, maximumRate: 10) { events.append($0) }
        let summary = try LibraryScan().scan(folders: [music], catalog: catalog) { progress in
            bar.update(progress)
        }
        bar.finish(summary)
        let lines = events.value.joined().split(separator: "\n")
        XCTAssertTrue(lines.contains("scan: 13/13 read truncated.flac"), "\(lines)")
        XCTAssertLessThan(lines.count, 6, "throttled to 10 a second")
        XCTAssertEqual(lines.last, "scan: 8 new, 0 changed, 0 unchanged, 4 failed, 1 not audio")
    }
}
