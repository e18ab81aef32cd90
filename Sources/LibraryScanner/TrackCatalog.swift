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
/// The schema version is `PRAGMA user_version`; migrations run in order inside one write transaction, so two
/// processes opening a new database do not both migrate. Every multi-row change is one transaction.
public final class TrackCatalog: Sendable {
    /// The schema version this code writes; `schemaVersion()` reads the database's.
    public static let currentSchemaVersion = migrations.count
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
    /// - Throws: `DatabaseError` from GRDB (SQLite's result code and message), or a file system error when the
    ///   folder cannot be created.
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
        try migrate()
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

    /// The database's schema version (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
    }

    /// Usable tracks (no failure), ordered by path: what training reads.
    public func tracks() throws -> [CatalogTrack] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM track WHERE failure IS NULL ORDER BY path").map(Self.track)
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
            try Row.fetchOne(db, sql: "SELECT * FROM track WHERE path = ?", arguments: [Data(path.bytes)])
                .map(Self.track)
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
            let statement = try db.cachedStatement(sql: """
                INSERT INTO track (path, size, mtime_ns, format, title, artist, album, genre, year, track_number,
                    duration, sample_rate, channels, bitrate, failure, scanned_at, scanner_version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                    format = excluded.format, title = excluded.title, artist = excluded.artist,
                    album = excluded.album, genre = excluded.genre, year = excluded.year,
                    track_number = excluded.track_number, duration = excluded.duration,
                    sample_rate = excluded.sample_rate, channels = excluded.channels, bitrate = excluded.bitrate,
                    failure = excluded.failure, scanned_at = excluded.scanned_at,
                    scanner_version = excluded.scanner_version
                """)
            for track in tracks {
                let tags = track.tags
                try statement.execute(arguments: [
                    Data(track.path.bytes), track.size, track.modificationTimeNs, track.format?.rawValue,
                    tags.title, tags.artist, tags.album, tags.genre, tags.year, tags.trackNumber, track.duration,
                    tags.sampleRate, tags.channelCount, tags.bitrate, track.failure,
                    track.scannedAt.timeIntervalSince1970, Self.scannerVersion,
                ])
            }
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

    /// Schema steps; step n (1-based) brings `user_version` from n-1 to n. Append, never edit.
    private static let migrations: [String] = [
        """
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
        """,
    ]

    private func migrate() throws {
        // pool.write opens an IMMEDIATE transaction: the version is read and raised under the write lock.
        try pool.write { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            guard version < Self.migrations.count else { return }
            for step in version..<Self.migrations.count {
                try db.execute(sql: Self.migrations[step])
            }
            try db.execute(sql: "PRAGMA user_version = \(Self.migrations.count)")
        }
    }

    private static func track(_ row: Row) -> CatalogTrack {
        let tags = TrackTags(title: row["title"], artist: row["artist"], album: row["album"], genre: row["genre"],
                             year: row["year"], trackNumber: row["track_number"], duration: nil,
                             sampleRate: row["sample_rate"], channelCount: row["channels"], bitrate: row["bitrate"])
        let format: String? = row["format"]
        return CatalogTrack(path: RawPath(bytes: [UInt8](row["path"] as Data)), size: row["size"],
                            modificationTimeNs: row["mtime_ns"], format: format.flatMap(AudioFormat.init(rawValue:)),
                            tags: tags, duration: row["duration"], failure: row["failure"],
                            scannedAt: Date(timeIntervalSince1970: row["scanned_at"]))
    }
}
