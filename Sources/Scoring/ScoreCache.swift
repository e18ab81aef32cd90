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
/// The tables may share their database file with `TrackCatalog`: the schema is GRDB's named migrations `scores.…`
/// (`SchemaMigrations`), beside the catalog's `catalog.…`. WAL mode, a busy timeout and IMMEDIATE write
/// transactions let several processes write at once: they wait for each other instead of failing with "database
/// is locked".
public final class ScoreCache: Sendable {
    /// The migrations this code knows, in order; `appliedMigrations()` says which a database has had.
    public static var migrationIdentifiers: [String] { migrations.identifiers }
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
    public convenience init(path: String = TrackCatalog.defaultPath()) throws {
        try self.init(path: path, tracingStatements: nil)
    }

    /// Opens the score cache at `path` as `init(path:)` does; `trace`, when given, sees the SQL of every statement each
    /// connection executes (tests count them).
    init(path: String, tracingStatements trace: (@Sendable (String) -> Void)?) throws {
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
        if let trace {
            configuration.prepareDatabase { db in db.trace(options: .statement) { trace($0.expandedDescription) } }
        }
        pool = try Self.run(path) { try TrackCatalog.openPool(path: path, configuration: configuration) }
        try run { try Self.migrations.migrate(pool, path: path) }
    }

    /// The score cache migrations the database has had, in order: `migrationIdentifiers` once opened.
    public func appliedMigrations() throws -> [String] {
        try run { try pool.read { db in try Self.migrations.applied(db) } }
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
                for record in try Self.records(modelID: modelID, paths: matches, in: db) {
                    let track = try self.track(record)
                    result[track.path] = track
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
        let records = try tracks.map { track in
            do {
                return ScoreRecord(track, reasons: String(decoding: try encoder.encode(track.reasons), as: UTF8.self))
            } catch {
                throw ScoreCacheError(sqliteCode: nil, databasePath: path,
                                      message: "cannot encode the reasons of \(track.path): \(error)")
            }
        }
        try write { db in
            for record in records { try record.upsert(db) }
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
                try ScoreRecord.fetchAll(db, sql: """
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

    /// Append, never edit: a database remembers which of these it has had.
    private static let migrations: SchemaMigrations = {
        var migrations = SchemaMigrations(owner: "scores", legacy: legacySchema)
        // Score schema 1 and 2 before migrations had names.
        migrations.registerLegacyStep("v1-scores", sql: """
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
            """)
        // The ranked score: CSI's until models could rank by other scores.
        migrations.registerLegacyStep("v2-ranked-score", sql: """
            ALTER TABLE scores ADD COLUMN score REAL;
            UPDATE scores SET score = csi;
            """)
        return migrations
    }()

    /// The score schema version before migrations had names: its own table, since `TrackCatalog` had the file's
    /// `PRAGMA user_version`.
    private static let legacySchema = SchemaMigrations.LegacyMarker(
        name: "score schema",
        read: { db in
            guard try db.tableExists("scoring_schema") else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT version FROM scoring_schema WHERE id = 1") ?? 0
        },
        write: { db, version in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS scoring_schema (id INTEGER PRIMARY KEY CHECK (id = 1),
                    version INTEGER NOT NULL);
                INSERT INTO scoring_schema (id, version) VALUES (1, ?)
                ON CONFLICT(id) DO UPDATE SET version = excluded.version
                """, arguments: [version])
        })

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
        } catch let error as NewerDatabaseError {
            throw ScoreCacheError(sqliteCode: nil, databasePath: path, message: error.message)
        }
    }

    /// Paths one lookup query names at most: below SQLite's oldest limit of 999 bound values.
    static let pathsPerQuery = 500

    /// The full rows of `paths` scored by `modelID`, read `pathsPerQuery` paths per query rather than one by one.
    private static func records(modelID: String, paths: [Data], in db: Database) throws -> [ScoreRecord] {
        try stride(from: 0, to: paths.count, by: pathsPerQuery).flatMap { start in
            let chunk = paths[start..<min(start + pathsPerQuery, paths.count)]
            let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            return try ScoreRecord.fetchAll(db, sql: "SELECT * FROM scores WHERE model_id = ? AND path IN (\(placeholders))",
                                            arguments: StatementArguments([modelID] + chunk.map { $0 as DatabaseValueConvertible }))
        }
    }

    private func track(_ record: ScoreRecord) throws -> ScoredTrack {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                        nan: "nan")
        let path = RawPath(bytes: [UInt8](record.path))
        let reasons: [ScoredTrack.Reason]
        do {
            reasons = try decoder.decode([ScoredTrack.Reason].self, from: Data(record.reasons.utf8))
        } catch {
            throw ScoreCacheError(sqliteCode: nil, databasePath: self.path,
                                  message: "the reasons of \(path) are damaged: \(error)")
        }
        return ScoredTrack(path: path, size: record.size, modificationTimeNs: record.modificationTimeNs,
                           modelID: record.modelID, title: record.title, artist: record.artist, album: record.album,
                           duration: record.duration, norm: record.norm ?? .nan, csi: record.csi ?? .nan,
                           score: record.score ?? .nan, fit: record.fit ?? .nan, excerptCount: record.excerptCount,
                           reasons: reasons, scoredAt: record.scoredAt)
    }
}

/// A `scores` row as GRDB reads and writes it: the model and path are the key, `reasons` is JSON, and NaN scores
/// are NULL (SQLite stores a NaN REAL as NULL anyway; saying so keeps decoding from failing on it).
private struct ScoreRecord: Codable, FetchableRecord, PersistableRecord, SecondsSince1970Record {
    static let databaseTableName = "scores"

    var modelID: String
    var path: Data
    var size: Int64
    var modificationTimeNs: Int64
    var title: String?
    var artist: String?
    var album: String?
    var duration: Double?
    var norm: Double?
    var csi: Double?
    var score: Double?
    var fit: Double?
    var excerptCount: Int
    var reasons: String
    var scoredAt: Date

    enum CodingKeys: String, CodingKey {
        case modelID = "model_id", path, size, modificationTimeNs = "mtime_ns", title, artist, album, duration, norm,
             csi, score, fit, excerptCount = "excerpt_count", reasons, scoredAt = "scored_at"
    }

    init(_ track: ScoredTrack, reasons: String) {
        func stored(_ value: Double) -> Double? { value.isNaN ? nil : value }
        modelID = track.modelID
        path = Data(track.path.bytes)
        size = track.size
        modificationTimeNs = track.modificationTimeNs
        title = track.title
        artist = track.artist
        album = track.album
        duration = track.duration
        norm = stored(track.norm)
        csi = stored(track.csi)
        score = stored(track.score)
        fit = stored(track.fit)
        excerptCount = track.excerptCount
        self.reasons = reasons
        scoredAt = track.scoredAt
    }
}
