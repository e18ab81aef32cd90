import Foundation
import GRDB

/// One file as the catalog remembers it: where, which version of it, and what reading it gave.
public struct CatalogTrack: Sendable, Equatable {
    /// The file's exact path bytes (stored as a BLOB).
    public var path: RawPath
    /// Bytes, when scanned.
    public var size: Int64
    /// Modification time when scanned, nanoseconds since 1970.
    public var modificationTimeNs: Int64
    /// Nil when the content was not recognised.
    public var format: AudioFormat?
    /// Tags and stream properties; `tags.duration` (TagLib's whole seconds) is not stored, `duration` is.
    public var tags: TrackTags
    /// Seconds, from the decoder (exact), not TagLib's whole seconds.
    public var duration: Double?
    /// Why the file cannot be used; nil when it is usable.
    public var failure: String?
    /// When the file was last read.
    public var scannedAt: Date

    /// A row with the given values.
    public init(path: RawPath, size: Int64, modificationTimeNs: Int64, format: AudioFormat?, tags: TrackTags,
                duration: Double?, failure: String?, scannedAt: Date) {
        self.path = path
        self.size = size
        self.modificationTimeNs = modificationTimeNs
        self.format = format
        self.tags = tags
        self.duration = duration
        self.failure = failure
        self.scannedAt = scannedAt
    }

    /// True when the file was read without problems.
    public var isUsable: Bool { failure == nil }
}

/// A file the scan could not use, and why.
public struct TrackFailure: Sendable, Equatable, CustomStringConvertible {
    /// The file's exact path bytes.
    public let path: RawPath
    /// The problem, in the form `AudioFileError.reason` gives ("content error 3: …").
    public let reason: String

    public var description: String { "\(path.displayString): \(reason)" }
}

/// What the catalog knew about a file, enough to tell whether it must be read again.
struct TrackFingerprint: Equatable {
    let size: Int64
    let modificationTimeNs: Int64
    let scannerVersion: Int
}

/// The catalog of scanned files in SQLite (WAL mode, several processes may use it at once).
///
/// The schema is GRDB's named migrations `catalog.…` (`SchemaMigrations`); the file may also hold the score cache,
/// whose migrations are `scores.…`. Every multi-row change is one transaction.
public final class TrackCatalog: Sendable {
    /// The migrations this code knows, in order; `appliedMigrations()` says which a database has had.
    public static var migrationIdentifiers: [String] { migrations.identifiers }
    /// Bumped when the scanner would read files differently; rows from older versions are read again.
    /// 2: a stream may end up to half a second before its declared length.
    /// 3: every format FFmpeg reads (M4A, WMA, WebM, WavPack, …), and FFmpeg's tags where TagLib finds none.
    static let scannerVersion = 3

    /// Where the database file lives.
    public let path: String
    private let pool: DatabasePool

    /// `$XDG_DATA_HOME/tunescore/library.sqlite`, or `~/.local/share/tunescore/library.sqlite` when
    /// XDG_DATA_HOME is unset or not absolute (as the XDG spec says).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        XDGFolders(environment: environment).data + "/library.sqlite"
    }

    /// Opens (creating if needed, with its folder) and migrates the catalog at `path`.
    ///
    /// - Throws: `DatabaseError` from GRDB (SQLite's result code and message), `NewerDatabaseError` when a newer
    ///   tunescore wrote the file, or a file system error when the folder cannot be created.
    public init(path: String = TrackCatalog.defaultPath()) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        // Other tunescore processes may hold the write lock; wait for them rather than fail.
        configuration.busyMode = .timeout(60)
        self.path = path
        pool = try Self.openPool(path: path, configuration: configuration)
        try Self.migrations.migrate(pool, path: path)
    }

    /// Opens the pool, retrying while SQLite answers SQLITE_BUSY.
    ///
    /// Opening a pool switches a new database to WAL, and SQLite refuses that switch at once (its busy handler is
    /// not consulted) while another connection is creating the same file: two scans starting together must both
    /// get in.
    public static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(60)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                usleep(20_000)
            }
        }
    }

    /// The catalog migrations the database has had, in order: `migrationIdentifiers` once opened.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrations.applied(db) }
    }

    /// Usable tracks (no failure), ordered by path: what training reads.
    public func tracks() throws -> [CatalogTrack] {
        try pool.read { db in
            try TrackRecord.filter(TrackRecord.CodingKeys.failure == nil).order(TrackRecord.CodingKeys.path)
                .fetchAll(db).map(\.track)
        }
    }

    /// Usable tracks below `folders` (absolute paths), ordered by path.
    public func tracks(under folders: [RawPath]) throws -> [CatalogTrack] {
        try tracks().filter { track in folders.contains { track.path.isInside($0) } }
    }

    /// Files that could not be used, with their reasons, ordered by path.
    public func failures() throws -> [TrackFailure] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT path, failure FROM track WHERE failure IS NOT NULL ORDER BY path")
                .map { row in TrackFailure(path: RawPath(bytes: [UInt8](row["path"] as Data)), reason: row["failure"]) }
        }
    }

    /// The row for `path`, usable or not.
    public func track(at path: RawPath) throws -> CatalogTrack? {
        try pool.read { db in
            try TrackRecord.filter(TrackRecord.CodingKeys.path == Data(path.bytes)).fetchOne(db)?.track
        }
    }

    /// Size, mtime and scanner version of every row below `roots`, keyed by path.
    func fingerprints(under roots: [RawPath]) throws -> [RawPath: TrackFingerprint] {
        try pool.read { db in
            var result: [RawPath: TrackFingerprint] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT path, size, mtime_ns, scanner_version FROM track")
            while let row = try rows.next() {
                let path = RawPath(bytes: [UInt8](row["path"] as Data))
                guard roots.contains(where: { path.isInside($0) }) else { continue }
                result[path] = TrackFingerprint(size: row["size"], modificationTimeNs: row["mtime_ns"],
                                                scannerVersion: row["scanner_version"])
            }
            return result
        }
    }

    /// Inserts or replaces `tracks` in one transaction.
    public func save(_ tracks: [CatalogTrack]) throws {
        guard !tracks.isEmpty else { return }
        try pool.write { db in
            for track in tracks { try TrackRecord(track, scannerVersion: Self.scannerVersion).upsert(db) }
        }
    }

    /// Deletes the rows of `paths` in one transaction.
    public func remove(_ paths: [RawPath]) throws {
        guard !paths.isEmpty else { return }
        try pool.write { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM track WHERE path = ?")
            for path in paths { try statement.execute(arguments: [Data(path.bytes)]) }
        }
    }

    /// Append, never edit: a database remembers which of these it has had.
    private static let migrations: SchemaMigrations = {
        var migrations = SchemaMigrations(owner: "catalog", legacy: .userVersion)
        // user_version 1 before migrations had names.
        migrations.registerLegacyStep("v1-track", sql: """
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
            """)
        return migrations
    }()
}

/// A `track` row as GRDB reads and writes it; `id` is SQLite's, never read.
private struct TrackRecord: Codable, FetchableRecord, PersistableRecord, SecondsSince1970Record {
    static let databaseTableName = "track"

    var path: Data
    var size: Int64
    var modificationTimeNs: Int64
    var format: String?
    var title: String?
    var artist: String?
    var album: String?
    var genre: String?
    var year: Int?
    var trackNumber: Int?
    var duration: Double?
    var sampleRate: Int?
    var channels: Int?
    var bitrate: Int?
    var failure: String?
    var scannedAt: Date
    var scannerVersion: Int

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case path, size, modificationTimeNs = "mtime_ns", format, title, artist, album, genre, year,
             trackNumber = "track_number", duration, sampleRate = "sample_rate", channels, bitrate, failure,
             scannedAt = "scanned_at", scannerVersion = "scanner_version"
    }

    init(_ track: CatalogTrack, scannerVersion: Int) {
        let tags = track.tags
        path = Data(track.path.bytes)
        size = track.size
        modificationTimeNs = track.modificationTimeNs
        format = track.format?.rawValue
        title = tags.title
        artist = tags.artist
        album = tags.album
        genre = tags.genre
        year = tags.year
        trackNumber = tags.trackNumber
        duration = track.duration
        sampleRate = tags.sampleRate
        channels = tags.channelCount
        bitrate = tags.bitrate
        failure = track.failure
        scannedAt = track.scannedAt
        self.scannerVersion = scannerVersion
    }

    var track: CatalogTrack {
        let tags = TrackTags(title: title, artist: artist, album: album, genre: genre, year: year,
                             trackNumber: trackNumber, duration: nil, sampleRate: sampleRate, channelCount: channels,
                             bitrate: bitrate)
        return CatalogTrack(path: RawPath(bytes: [UInt8](path)), size: size, modificationTimeNs: modificationTimeNs,
                            format: format.flatMap(AudioFormat.init(rawValue:)), tags: tags, duration: duration,
                            failure: failure, scannedAt: scannedAt)
    }
}
