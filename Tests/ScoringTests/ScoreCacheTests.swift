import Foundation
import LibraryScanner
import TestSupport
import XCTest
@testable import Scoring

final class ScoreCacheTests: XCTestCase {
    private var databasePath = ""

    override func setUpWithError() throws {
        databasePath = try makeTemporaryDirectory().appendingPathComponent("db/library.sqlite").path
    }

    private func track(_ name: String, model: String = "m1", size: Int64 = 100, mtime: Int64 = 7, fit: Double = 50,
                       csi: Double = 0) -> ScoredTrack {
        Self.track(name, model: model, size: size, mtime: mtime, fit: fit, csi: csi)
    }

    private static func track(_ name: String, model: String = "m1", size: Int64 = 100, mtime: Int64 = 7, fit: Double = 50,
                       csi: Double = 0) -> ScoredTrack {
        ScoredTrack(path: RawPath("/music/\(name)"), size: size, modificationTimeNs: mtime, modelID: model,
                    title: "Title \(name)", artist: "Artist", album: nil, duration: 12.5, norm: 0.5, csi: csi, fit: fit,
                    excerptCount: 4, reasons: [.init(likedTrack: "liked é", similarity: 0.93),
                                               .init(likedTrack: "other", similarity: 0.5)],
                    scoredAt: Date(timeIntervalSince1970: 1_700_000_123.25))
    }

    private func key(_ track: ScoredTrack) -> (path: RawPath, size: Int64, modificationTimeNs: Int64) {
        (track.path, track.size, track.modificationTimeNs)
    }

    func testRoundTripKeepsEveryFieldAndRawPath() throws {
        let cache = try ScoreCache(path: databasePath)
        XCTAssertEqual(try cache.appliedMigrations(), ScoreCache.migrationIdentifiers)
        var odd = track("x")
        odd.path = RawPath(bytes: Array("/music/".utf8) + [0xFF, 0x41, 0xC3])
        odd.title = nil
        odd.duration = nil
        odd.norm = .nan
        let tracks = [track("a.mp3"), odd]
        try cache.save(tracks)
        let reopened = try ScoreCache(path: databasePath)
        let found = try reopened.cached(modelID: "m1", files: tracks.map(key))
        XCTAssertEqual(found.count, 2)
        XCTAssertEqual(found[tracks[0].path], tracks[0])
        let oddFound = try XCTUnwrap(found[odd.path])
        XCTAssertTrue(oddFound.norm.isNaN)
        var comparable = oddFound
        comparable.norm = odd.norm
        XCTAssertEqual(comparable.path, odd.path)
        XCTAssertNil(comparable.title)
        XCTAssertEqual(comparable.reasons, odd.reasons)
        XCTAssertEqual(try reopened.integrityCheck(), "ok")
    }

    func testChangedFileOrOtherModelMisses() throws {
        let cache = try ScoreCache(path: databasePath)
        let a = track("a.mp3"), b = track("b.mp3")
        try cache.save([a, b])
        let files = [(a.path, a.size, a.modificationTimeNs + 1), (b.path, b.size + 1, b.modificationTimeNs),
                     (RawPath("/music/never.mp3"), Int64(1), Int64(1))]
        XCTAssertEqual(try cache.cached(modelID: "m1", files: files), [:])
        XCTAssertEqual(try cache.cached(modelID: "m2", files: [key(a), key(b)]), [:])
        XCTAssertEqual(try cache.cached(modelID: "m1", files: [key(b)]).keys.sorted(), [b.path])
    }

    func testUpsertReplacesWithoutDuplicates() throws {
        let cache = try ScoreCache(path: databasePath)
        try cache.save([track("a.mp3", fit: 10), track("b.mp3")])
        let changed = track("a.mp3", mtime: 99, fit: 90)
        try cache.save([changed])
        try cache.save([changed])
        XCTAssertEqual(try cache.count(modelID: "m1"), 2)
        XCTAssertEqual(try cache.cached(modelID: "m1", files: [key(changed)])[changed.path], changed)
        // The same path under another model is another row.
        try cache.save([track("a.mp3", model: "m2")])
        XCTAssertEqual(try cache.count(), 3)
    }

    func testRankedBestFitFirstTiesByCSIAndLatestModel() throws {
        let cache = try ScoreCache(path: databasePath)
        XCTAssertNil(try cache.latestModelID())
        try cache.save([track("low", fit: 10), track("tie-low-csi", fit: 70, csi: 1), track("top", fit: 95),
                        track("tie-high-csi", fit: 70, csi: 2)])
        try cache.save([track("other", model: "m2", fit: 99)])
        XCTAssertEqual(try cache.latestModelID(), "m2")
        XCTAssertEqual(try cache.ranked(modelID: "m1").map(\.path.displayString),
                       ["/music/top", "/music/tie-high-csi", "/music/tie-low-csi", "/music/low"])
        try cache.save([track("low", fit: 11)])
        XCTAssertEqual(try cache.latestModelID(), "m1")
    }

    func testSharesTheFileWithTrackCatalogWithoutTouchingItsMigrations() throws {
        let catalog = try TrackCatalog(path: databasePath)
        let cache = try ScoreCache(path: databasePath)
        try cache.save([track("a.mp3")])
        XCTAssertEqual(try catalog.appliedMigrations(), TrackCatalog.migrationIdentifiers)
        // Opened in the other order too: neither must take the other's tables or migrations for its own (nor for
        // a newer tunescore's).
        let secondPath = (databasePath as NSString).deletingLastPathComponent + "/second.sqlite"
        _ = try ScoreCache(path: secondPath)
        let secondCatalog = try TrackCatalog(path: secondPath)
        XCTAssertEqual(try secondCatalog.appliedMigrations(), TrackCatalog.migrationIdentifiers)
        XCTAssertEqual(try ScoreCache(path: secondPath).appliedMigrations(), ScoreCache.migrationIdentifiers)
    }

    func testThousandLookupsReadTheRowsInAFewQueries() throws {
        let statements = Locked<[String]>([])
        let cache = try ScoreCache(path: databasePath) { statements.append($0) }
        let tracks = (0..<1000).map { track("\($0).flac", fit: Double($0 % 100)) }
        try cache.save(tracks)
        try cache.save((0..<1000).map { track("\($0).flac", model: "m2") })
        // A changed file is not a hit.
        var asked = tracks.map(key)
        asked[7].size += 1
        statements.withLock { $0 = [] }
        let found = try cache.cached(modelID: "m1", files: asked)
        let lookups = statements.value.filter { $0.hasPrefix("SELECT") && $0.contains("scores") }
        // One query matches sizes and times, then one per `pathsPerQuery` hits reads the full rows: 3 for 999 hits, not 1000.
        XCTAssertEqual(lookups.count, 1 + (999 + ScoreCache.pathsPerQuery - 1) / ScoreCache.pathsPerQuery, "\(lookups.map { $0.prefix(80) })")
        XCTAssertEqual(found.count, 999)
        XCTAssertNil(found[tracks[7].path])
        for scored in tracks where scored.path != tracks[7].path {
            XCTAssertEqual(found[scored.path]?.fit, scored.fit, "\(scored.path)")
            XCTAssertEqual(found[scored.path]?.modelID, "m1")
        }
    }

    func testTwoInstancesWritingAtOnceBothFinish() throws {
        // Separate pools are separate SQLite connections, locking as separate processes would.
        let path = databasePath
        _ = try ScoreCache(path: path)
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { writer in
            do {
                let cache = try ScoreCache(path: path)
                for batch in 0..<50 {
                    try cache.save((0..<10).map { Self.track("\(writer)/\(batch)/\($0).mp3", model: "w\(writer)") })
                }
            } catch {
                failures.append("\(error)")
            }
        }
        XCTAssertEqual(failures.value, [])
        let cache = try ScoreCache(path: path)
        XCTAssertEqual(try cache.count(modelID: "w0"), 500)
        XCTAssertEqual(try cache.count(modelID: "w1"), 500)
        XCTAssertEqual(try cache.integrityCheck(), "ok")
    }

    func testCatalogsAndCachesOpeningANewFileAtOnceAllGetIn() throws {
        // Separate pools are separate SQLite connections: each migrates the new file as a separate process would,
        // and GRDB's migrator reads what is applied before it takes the write lock.
        let folder = (databasePath as NSString).deletingLastPathComponent
        for round in 0..<8 {
            let path = "\(folder)/new-\(round).sqlite"
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { opener in
                do {
                    if opener.isMultiple(of: 2) {
                        _ = try TrackCatalog(path: path)
                    } else {
                        _ = try ScoreCache(path: path)
                    }
                } catch {
                    failures.append("\(error)")
                }
            }
            XCTAssertEqual(failures.value, [], "round \(round)")
            XCTAssertEqual(try TrackCatalog(path: path).appliedMigrations(), TrackCatalog.migrationIdentifiers)
            XCTAssertEqual(try ScoreCache(path: path).appliedMigrations(), ScoreCache.migrationIdentifiers)
        }
    }

    func testWaitsForAnotherProcessHoldingTheWriteLock() throws {
        guard let sqlite3 = ProcessLookup.executable(named: "sqlite3") else {
            throw XCTSkip("the sqlite3 command is not installed")
        }
        let cache = try ScoreCache(path: databasePath)
        let process = Process()
        process.executableURL = sqlite3
        process.arguments = [databasePath]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // The other process takes the write lock, says so, and keeps it for a second.
        input.fileHandleForWriting.write(Data("""
            BEGIN IMMEDIATE;
            INSERT INTO scoring_state (key, value) VALUES ('other process', 'was here');
            .print locked
            .shell sleep 1
            COMMIT;

            """.utf8))
        try input.fileHandleForWriting.close()
        let first = output.fileHandleForReading.availableData
        XCTAssertEqual(String(decoding: first, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), "locked")
        let start = Date()
        try cache.save([track("a.mp3")])
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.3, "the save did not wait for the lock")
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(try cache.count(), 1)
        XCTAssertEqual(try cache.latestModelID(), "m1")
    }

    func testNewerSchemaIsRefusedRatherThanMisread() throws {
        _ = try ScoreCache(path: databasePath)
        try LegacyDatabase.run("UPDATE scoring_schema SET version = 99", on: databasePath)
        XCTAssertThrowsError(try ScoreCache(path: databasePath)) { error in
            XCTAssertNil((error as? ScoreCacheError)?.sqliteCode)
            XCTAssertTrue("\(error)".contains("schema 99"), "\(error)")
        }
    }

    func testALaterNamedMigrationIsRefusedWithWhatToDo() throws {
        _ = try ScoreCache(path: databasePath)
        try LegacyDatabase.run("INSERT INTO grdb_migrations (identifier) VALUES ('scores.v3-later')", on: databasePath)
        XCTAssertThrowsError(try ScoreCache(path: databasePath)) { error in
            let cacheError = error as? ScoreCacheError
            XCTAssertNotNil(cacheError, "\(error)")
            XCTAssertNil(cacheError?.sqliteCode)
            XCTAssertEqual(cacheError?.databasePath, databasePath)
            for part in ["newer tunescore", "'scores.v3-later'", "update tunescore", "--db"] {
                XCTAssertTrue("\(error)".contains(part), "\(part) missing from: \(error)")
            }
        }
        // The scores' later migration is none of the catalog's business.
        XCTAssertEqual(try TrackCatalog(path: databasePath).appliedMigrations(), TrackCatalog.migrationIdentifiers)
    }

    func testADatabaseOfTheFirstSchemaMigratesAndRanksByCSI() throws {
        // What tunescore wrote before the ranked score had a column of its own: schema 1, two rows.
        let rows = """
            INSERT INTO scores VALUES ('old', CAST('/music/a' AS BLOB), 1, 2, 'A', NULL, NULL, 3.0, 0.5, 1.5, 40, 4, '[]', 1700000000);
            INSERT INTO scores VALUES ('old', CAST('/music/b' AS BLOB), 1, 2, 'B', NULL, NULL, 3.0, 0.5, 2.5, 40, 4, '[]', 1700000000);
            """
        try LegacyDatabase.run(LegacyDatabase.scores(version: 1) + rows, on: databasePath)
        let cache = try ScoreCache(path: databasePath)
        XCTAssertEqual(try cache.appliedMigrations(), ["scores.v1-scores", "scores.v2-ranked-score"])
        let ranked = try cache.ranked(modelID: "old")
        XCTAssertEqual(ranked.map(\.title), ["B", "A"], "equal fits: the higher score first")
        XCTAssertEqual(ranked.map(\.score), [2.5, 1.5], "the old rows' ranked score is their CSI")
        try cache.save([track("c", model: "old", fit: 40, csi: .nan)].map { var t = $0; t.score = 2; return t })
        XCTAssertEqual(try cache.ranked(modelID: "old").map(\.title), ["B", "Title c", "A"])
    }

    func testSQLiteErrorsCarryCodeAndPath() throws {
        let folder = try makeTemporaryDirectory()
        let notADatabase = folder.appendingPathComponent("junk.sqlite")
        try Data(repeating: 0x42, count: 4096).write(to: notADatabase)
        XCTAssertThrowsError(try ScoreCache(path: notADatabase.path)) { error in
            let cacheError = error as? ScoreCacheError
            XCTAssertEqual(cacheError?.sqliteCode, 26) // SQLITE_NOTADB
            XCTAssertTrue("\(error)".contains(notADatabase.path), "\(error)")
        }
    }
}

enum ProcessLookup {
    /// The first executable called `name` on PATH.
    static func executable(named name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        return nil
    }
}
