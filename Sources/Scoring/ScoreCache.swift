import Foundation
import GRDB
import LibraryScanner

/// A score cache failure: SQLite's result code when SQLite reported it, and a message naming the database.
public struct ScoreCacheError: Error, Sendable, CustomStringConvertible {
    /// SQLite's primary result code (5 = SQLITE_BUSY, 11 = SQLITE_CORRUPT …); nil when SQLite was not the
    /// source (a folder that cannot be created, a schema from a newer tunescore, a damaged row).
    public let sqliteCode: Int32?
    /// SQLite's extended result code, when SQLite reported the problem.
    public let extendedSQLiteCode: Int32?
    /// The database file.
    public let databasePath: String
    /// What went wrong, for people.
    public let message: String

    /// An error with the given values.
    public init(sqliteCode: Int32?, extendedSQLiteCode: Int32? = nil, databasePath: String, message: String) {
        self.sqliteCode = sqliteCode
        self.extendedSQLiteCode = extendedSQLiteCode
        self.databasePath = databasePath
        self.message = message
    }

    /// The message with the database path and the SQLite code, for people.
    public var description: String {
        let code = sqliteCode.map { " (SQLite error \($0))" } ?? ""
        return "score cache \(databasePath): \(message)\(code)"
    }
}

/// Scores of new tracks in SQLite, so a second `score` run only reads the files that changed.
///
/// The table may share its database file with `TrackCatalog`, which owns `PRAGMA user_version`; this cache
/// therefore keeps its schema version in its own table `scoring_schema`. WAL mode, a busy timeout and
/// IMMEDIATE write transactions let several processes write at once: they wait for each other instead of
/// failing with "database is locked".
public final class ScoreCache: Sendable {
    /// The schema version this code writes.
    public static let currentSchemaVersion = migrations.count
    /// How long a write waits for another connection's lock before giving up.
    static let busyTimeout: TimeInterval = 30

    /// Where the database file lives.
    public let path: String
    private let pool: DatabasePool

    /// Opens (creating if needed, with its folder) and migrates the score cache at `path`; the default is
    /// the library database `TrackCatalog.defaultPath()`.
    ///
    /// - Throws: `ScoreCacheError` when the folder cannot be created, SQLite fails, or the database was
    ///   written by a newer tunescore.
    public init(path: String = TrackCatalog.defaultPath()) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw ScoreCacheError(sqliteCode: nil, databasePath: path,
                                      message: "cannot create the folder \(folder): \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        // Other tunescore processes (a scan, a second score run) may hold the write lock: wait for them.
        configuration.busyMode = .timeout(Self.busyTimeout)
        pool = try Self.run(path) { try TrackCatalog.openPool(path: path, configuration: configuration) }
        try migrate()
    }

    /// The database's score schema version (0 before the first migration).
    public func schemaVersion() throws -> Int {
        try run { try pool.read { db in try Self.schemaVersion(db) } }
    }

    /// The cached scores of `files` by `modelID` whose size and modification time still match; a file that
    /// changed, or that this model never scored, is absent from the result.
    ///
    /// One query reads the model's rows; matching happens in memory, which is fast for libraries of tens of
    /// thousands of files and needs no temporary table.
    public func cached(modelID: String, files: [(path: RawPath, size: Int64, modificationTimeNs: Int64)])
        throws -> [RawPath: ScoredTrack]
    {
        guard !files.isEmpty else { return [:] }
        var wanted: [Data: (size: Int64, modificationTimeNs: Int64)] = [:]
        for file in files { wanted[Data(file.path.bytes)] = (file.size, file.modificationTimeNs) }
        return try run {
            try pool.read { db in
                var result: [RawPath: ScoredTrack] = [:]
                let rows = try Row.fetchCursor(db, sql: "SELECT path, size, mtime_ns FROM scores WHERE model_id = ?",
                                               arguments: [modelID])
                var matches: [Data] = []
                while let row = try rows.next() {
                    let path: Data = row["path"]
                    guard let file = wanted[path], file.size == row["size"] as Int64,
                          file.modificationTimeNs == row["mtime_ns"] as Int64 else { continue }
                    matches.append(path)
                }
                // Full rows only for the hits: decoding reasons JSON for every row of the model would dominate.
                let statement = try db.cachedStatement(sql: "SELECT * FROM scores WHERE model_id = ? AND path = ?")
                for path in matches {
                    if let row = try Row.fetchOne(statement, arguments: [modelID, path]) {
                        let track = try self.track(row)
                        result[track.path] = track
                    }
                }
                return result
            }
        }
    }

    /// Inserts or replaces `tracks` (keyed by model and path) in one transaction, and remembers the model of
    /// the last track as the latest one.
    ///
    /// A process killed during a save loses that batch only; the primary key keeps reruns from duplicating.
    public func save(_ tracks: [ScoredTrack]) throws {
        guard let last = tracks.last else { return }
        let encoder = JSONEncoder()
        // A NaN similarity must not make a whole batch fail.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        let reasons = try tracks.map { track in
            do {
                return String(decoding: try encoder.encode(track.reasons), as: UTF8.self)
            } catch {
                throw ScoreCacheError(sqliteCode: nil, databasePath: path,
                                      message: "cannot encode the reasons of \(track.path): \(error)")
            }
        }
        try write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO scores (model_id, path, size, mtime_ns, title, artist, album, duration, norm, csi, score, fit,
                    excerpt_count, reasons, scored_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(model_id, path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                    title = excluded.title, artist = excluded.artist, album = excluded.album,
                    duration = excluded.duration, norm = excluded.norm, csi = excluded.csi, score = excluded.score, fit = excluded.fit,
                    excerpt_count = excluded.excerpt_count, reasons = excluded.reasons, scored_at = excluded.scored_at
                """)
            for (track, reasons) in zip(tracks, reasons) {
                try statement.execute(arguments: [
                    track.modelID, Data(track.path.bytes), track.size, track.modificationTimeNs, track.title,
                    track.artist, track.album, track.duration, track.norm, track.csi, track.score, track.fit, track.excerptCount,
                    reasons, track.scoredAt.timeIntervalSince1970,
                ])
            }
            try db.execute(sql: """
                INSERT INTO scoring_state (key, value) VALUES ('latest_model_id', ?)
                ON CONFLICT(key) DO UPDATE SET value = excluded.value
                """, arguments: [last.modelID])
        }
    }

    /// Every cached score of `modelID`, best fit first (ties: higher score, then path).
    public func ranked(modelID: String) throws -> [ScoredTrack] {
        try run {
            try pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT * FROM scores WHERE model_id = ?
                    ORDER BY fit IS NULL, fit DESC, score IS NULL, score DESC, path
                    """, arguments: [modelID]).map(self.track)
            }
        }
    }

    /// How many scores are cached, for one model or for all.
    public func count(modelID: String? = nil) throws -> Int {
        try run {
            try pool.read { db in
                if let modelID {
                    return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scores WHERE model_id = ?",
                                            arguments: [modelID]) ?? 0
                }
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM scores") ?? 0
            }
        }
    }

    /// The model of the most recent `save`, so `export` and `report` without `--model` know what to show;
    /// nil before the first save.
    public func latestModelID() throws -> String? {
        try run {
            try pool.read { db in
                try String.fetchOne(db, sql: "SELECT value FROM scoring_state WHERE key = 'latest_model_id'")
            }
        }
    }

    /// SQLite's `PRAGMA integrity_check` answer: "ok", or the problems found, one per line.
    public func integrityCheck() throws -> String {
        try run {
            try pool.read { db in
                try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
            }
        }
    }

    // MARK: - Schema

    /// Schema steps; step n (1-based) brings `scoring_schema.version` from n-1 to n. Append, never edit.
    private static let migrations: [String] = [
        """
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
        """,
        // The ranked score: CSI's until models could rank by other scores.
        """
        ALTER TABLE scores ADD COLUMN score REAL;
        UPDATE scores SET score = csi;
        """,
    ]

    private static func schemaVersion(_ db: Database) throws -> Int {
        guard try db.tableExists("scoring_schema") else { return 0 }
        return try Int.fetchOne(db, sql: "SELECT version FROM scoring_schema WHERE id = 1") ?? 0
    }

    private func migrate() throws {
        // The version is read and raised under the write lock, so two processes opening a new database do not
        // both run a step.
        try write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS scoring_schema (id INTEGER PRIMARY KEY CHECK (id = 1),
                    version INTEGER NOT NULL)
                """)
            let version = try Self.schemaVersion(db)
            guard version <= Self.migrations.count else {
                throw ScoreCacheError(sqliteCode: nil, databasePath: self.path, message: """
                    the scores were written by a newer tunescore (schema \(version), this one knows \
                    \(Self.migrations.count)); update tunescore
                    """)
            }
            for step in version..<Self.migrations.count {
                try db.execute(sql: Self.migrations[step])
            }
            try db.execute(sql: """
                INSERT INTO scoring_schema (id, version) VALUES (1, ?)
                ON CONFLICT(id) DO UPDATE SET version = excluded.version
                """, arguments: [Self.migrations.count])
        }
    }

    // MARK: - Helpers

    /// Runs `body` in an IMMEDIATE transaction: the write lock is taken at BEGIN, where the busy timeout
    /// applies, instead of at the first write, where SQLite may fail at once to avoid a deadlock.
    private func write(_ body: @escaping (Database) throws -> Void) throws {
        try run {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try body(db)
                    return .commit
                }
            }
        }
    }

    private func run<T>(_ body: () throws -> T) throws -> T {
        try Self.run(path, body)
    }

    private static func run<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError {
            throw ScoreCacheError(sqliteCode: error.resultCode.rawValue,
                                  extendedSQLiteCode: error.extendedResultCode.rawValue, databasePath: path,
                                  message: error.message ?? "\(error)")
        }
    }

    private func track(_ row: Row) throws -> ScoredTrack {
        let reasonsText: String = row["reasons"]
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                        nan: "nan")
        let path = RawPath(bytes: [UInt8](row["path"] as Data))
        let reasons: [ScoredTrack.Reason]
        do {
            reasons = try decoder.decode([ScoredTrack.Reason].self, from: Data(reasonsText.utf8))
        } catch {
            throw ScoreCacheError(sqliteCode: nil, databasePath: self.path,
                                  message: "the reasons of \(path) are damaged: \(error)")
        }
        return ScoredTrack(path: path, size: row["size"], modificationTimeNs: row["mtime_ns"], modelID: row["model_id"],
                           title: row["title"], artist: row["artist"], album: row["album"], duration: row["duration"],
                           norm: row["norm"] ?? .nan, csi: row["csi"] ?? .nan, score: row["score"] ?? .nan, fit: row["fit"] ?? .nan,
                           excerptCount: row["excerpt_count"], reasons: reasons,
                           scoredAt: Date(timeIntervalSince1970: row["scored_at"]))
    }
}
