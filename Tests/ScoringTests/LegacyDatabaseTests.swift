import Foundation
import LibraryScanner
import TestSupport
import XCTest
@testable import Scoring

/// Library files as tunescore wrote them before migrations had names (PRAGMA user_version for the catalog,
/// `scoring_schema` for the scores), written here with that code's exact SQL.
enum LegacyDatabase {
    /// The catalog at user_version 1.
    static let catalog = """
        CREATE TABLE track (
            id INTEGER PRIMARY KEY,
            path BLOB NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            format TEXT,
            title TEXT,
            artist TEXT,
            album TEXT,
            genre TEXT,
            year INTEGER,
            track_number INTEGER,
            duration REAL,
            sample_rate INTEGER,
            channels INTEGER,
            bitrate INTEGER,
            failure TEXT,
            scanned_at REAL NOT NULL,
            scanner_version INTEGER NOT NULL
        );
        CREATE INDEX track_failure ON track(failure) WHERE failure IS NOT NULL;
        PRAGMA user_version = 1;
        """

    /// The score tables at `version` (1: CSI was the ranked score; 2: `score` has a column of its own).
    static func scores(version: Int) -> String {
        var sql = """
            CREATE TABLE IF NOT EXISTS scoring_schema (id INTEGER PRIMARY KEY CHECK (id = 1),
                version INTEGER NOT NULL);
            CREATE TABLE scores (
                model_id TEXT NOT NULL,
                path BLOB NOT NULL,
                size INTEGER NOT NULL,
                mtime_ns INTEGER NOT NULL,
                title TEXT,
                artist TEXT,
                album TEXT,
                duration REAL,
                -- NULL stands for NaN: SQLite stores a NaN REAL as NULL.
                norm REAL,
                csi REAL,
                fit REAL,
                excerpt_count INTEGER NOT NULL,
                reasons TEXT NOT NULL,
                scored_at REAL NOT NULL,
                PRIMARY KEY (model_id, path)
            );
            CREATE TABLE scoring_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);

            """
        if version >= 2 {
            sql += """
                ALTER TABLE scores ADD COLUMN score REAL;
                UPDATE scores SET score = csi;

                """
        }
        return sql + """
            INSERT INTO scoring_schema (id, version) VALUES (1, \(version))
            ON CONFLICT(id) DO UPDATE SET version = excluded.version;
            """
    }

    /// Runs `sql` on the database at `path` (creating it and its folder) with the sqlite3 program, as another
    /// program would, and returns what it printed; skips the test where sqlite3 is not installed.
    @discardableResult
    static func run(_ sql: String, on path: String) throws -> String {
        guard let sqlite3 = ProcessLookup.executable(named: "sqlite3") else {
            throw XCTSkip("the sqlite3 command is not installed")
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = sqlite3
        process.arguments = [path, sql]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "sqlite3 failed on: \(sql)")
        return String(decoding: printed, as: UTF8.self)
    }
}

final class LegacyDatabaseTests: XCTestCase {
    func testTodaysLibraryFileKeepsItsRowsAndIsThenAtTheLatestMigrations() throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("db/library.sqlite").path
        let rows = """
            INSERT INTO track (path, size, mtime_ns, format, title, artist, album, genre, year, track_number, duration,
                sample_rate, channels, bitrate, failure, scanned_at, scanner_version)
            VALUES (CAST('/music/a.flac' AS BLOB), 1234, 5678, 'flac', 'Song', 'Singer', 'Record', 'Rock', 2001, 3, 181.5,
                    44100, 2, 900, NULL, 1700000000.5, 3),
                   (x'2f6d757369632fff2e6d7033', 10, 20, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                    NULL, NULL, NULL, 'content error 2: not audio', 1700000001, 3);
            INSERT INTO scores (model_id, path, size, mtime_ns, title, artist, album, duration, norm, csi, score, fit,
                excerpt_count, reasons, scored_at)
            VALUES ('m1', CAST('/music/a.flac' AS BLOB), 1234, 5678, 'Song', 'Singer', 'Record', 181.5, NULL, 1.5, 2.5, 80,
                    4, '[{"likedTrack":"liked é","similarity":0.93}]', 1700000123.25);
            INSERT INTO scoring_state (key, value) VALUES ('latest_model_id', 'm1');
            """
        try LegacyDatabase.run(LegacyDatabase.catalog + LegacyDatabase.scores(version: 2) + rows, on: path)

        let catalog = try TrackCatalog(path: path)
        let cache = try ScoreCache(path: path)

        let song = CatalogTrack(path: RawPath("/music/a.flac"), size: 1234, modificationTimeNs: 5678, format: .flac,
                                tags: TrackTags(title: "Song", artist: "Singer", album: "Record", genre: "Rock",
                                                year: 2001, trackNumber: 3, sampleRate: 44100, channelCount: 2,
                                                bitrate: 900),
                                duration: 181.5, failure: nil, scannedAt: Date(timeIntervalSince1970: 1_700_000_000.5))
        XCTAssertEqual(try catalog.tracks(), [song])
        let odd = RawPath(bytes: Array("/music/".utf8) + [0xFF] + Array(".mp3".utf8))
        let failures = try catalog.failures()
        XCTAssertEqual(failures.map(\.path), [odd])
        XCTAssertEqual(failures.map(\.reason), ["content error 2: not audio"])
        XCTAssertEqual(try catalog.appliedMigrations(), TrackCatalog.migrationIdentifiers)

        let scored = try XCTUnwrap(try cache.cached(modelID: "m1", files: [(song.path, 1234, 5678)])[song.path])
        XCTAssertTrue(scored.norm.isNaN, "NULL reads back as NaN")
        let expected = ScoredTrack(path: song.path, size: 1234, modificationTimeNs: 5678, modelID: "m1", title: "Song",
                                   artist: "Singer", album: "Record", duration: 181.5, norm: 0, csi: 1.5, score: 2.5,
                                   fit: 80, excerptCount: 4, reasons: [.init(likedTrack: "liked é", similarity: 0.93)],
                                   scoredAt: Date(timeIntervalSince1970: 1_700_000_123.25))
        var comparable = scored
        comparable.norm = 0
        XCTAssertEqual(comparable, expected)
        XCTAssertEqual(try cache.latestModelID(), "m1")
        XCTAssertEqual(try cache.appliedMigrations(), ScoreCache.migrationIdentifiers)

        // Written and reopened with the new code, nothing is lost or run twice.
        try catalog.save([CatalogTrack(path: RawPath("/music/b.flac"), size: 1, modificationTimeNs: 1, format: .flac,
                                       tags: TrackTags(), duration: 1, failure: nil, scannedAt: Date())])
        var second = expected
        second.path = RawPath("/music/b.flac")
        try cache.save([second])
        XCTAssertEqual(try TrackCatalog(path: path).tracks().map(\.path), [song.path, second.path])
        XCTAssertEqual(try ScoreCache(path: path).ranked(modelID: "m1").map(\.path), [song.path, second.path])
    }

    func testANewFileCarriesTheVersionsAnOlderTunescoreReads() throws {
        // An older tunescore sharing the file (the default library) must not create the tables again.
        let path = try makeTemporaryDirectory().appendingPathComponent("library.sqlite").path
        _ = try TrackCatalog(path: path)
        _ = try ScoreCache(path: path)
        XCTAssertEqual(try LegacyDatabase.run("PRAGMA user_version; SELECT version FROM scoring_schema;", on: path),
                       "1\n2\n")
    }

    func testALibraryFileFromANewerTunescoreIsRefusedWithWhatToDo() throws {
        let folder = try makeTemporaryDirectory()
        let catalogAhead = folder.appendingPathComponent("catalog-ahead.sqlite").path
        _ = try ScoreCache(path: catalogAhead)
        try LegacyDatabase.run("INSERT INTO grdb_migrations (identifier) VALUES ('catalog.v9-later')", on: catalogAhead)
        XCTAssertThrowsError(try TrackCatalog(path: catalogAhead)) { error in
            XCTAssertTrue(error is NewerDatabaseError, "\(error)")
            let text = "\(error)"
            for part in [catalogAhead, "newer tunescore", "'catalog.v9-later'", "update tunescore", "--db"] {
                XCTAssertTrue(text.contains(part), "\(part) missing from: \(text)")
            }
        }
        // The catalog's later migration is none of the score cache's business.
        XCTAssertEqual(try ScoreCache(path: catalogAhead).appliedMigrations(), ScoreCache.migrationIdentifiers)

        let legacyAhead = folder.appendingPathComponent("legacy-ahead.sqlite").path
        try LegacyDatabase.run(LegacyDatabase.catalog + "PRAGMA user_version = 2;", on: legacyAhead)
        XCTAssertThrowsError(try TrackCatalog(path: legacyAhead)) { error in
            XCTAssertTrue("\(error)".contains("user_version 2"), "\(error)")
            XCTAssertTrue("\(error)".contains(legacyAhead), "\(error)")
        }
    }
}
