import Foundation
import GRDB

/// A database file written by a newer tunescore than this one: its rows could be misread, so it is not opened.
public struct NewerDatabaseError: Error, Sendable, CustomStringConvertible {
    /// The database file.
    public let databasePath: String
    /// What this tunescore does not know: a migration identifier, or a schema version of the scheme before
    /// migrations had names.
    public let unknownSchema: String

    /// What went wrong and what to do, without the path (for errors that name the file themselves).
    public var message: String {
        "it was written by a newer tunescore (\(unknownSchema), which this one does not know): update tunescore, "
            + "or give another database file with --db"
    }

    /// The path, what went wrong and what to do, for people.
    public var description: String { "\(databasePath): \(message)" }
}

/// The named migrations of one owner of a database file (the catalog, the score cache), run by GRDB's
/// `DatabaseMigrator`, which records each applied identifier in `grdb_migrations`.
///
/// Owners share one file, so every identifier starts with `owner.`: an identifier with this prefix that this code
/// does not know means a newer tunescore wrote the file, while the other owners' identifiers are none of its
/// business (which is why GRDB's `hasBeenSuperseded`, which counts every unknown identifier, is not used as is).
///
/// Before migrations had names, each owner kept a version number of its own (its legacy marker). The first
/// migrations are that scheme's steps: step n is skipped when the marker is already n or more, so a database written
/// then keeps its rows and only gets its steps recorded as applied. Those steps still raise the marker, so an older
/// tunescore opening the same file finds the schema it knows.
public struct SchemaMigrations: Sendable {
    /// How an owner stored its version number before migrations had names.
    public struct LegacyMarker: Sendable {
        /// How messages name it ("user_version", "score schema").
        public let name: String
        let read: @Sendable (Database) throws -> Int
        let write: @Sendable (Database, Int) throws -> Void

        /// A marker read by `read` and raised by `write`; `read` answers 0 for a database without one.
        public init(name: String, read: @escaping @Sendable (Database) throws -> Int,
                    write: @escaping @Sendable (Database, Int) throws -> Void) {
            self.name = name
            self.read = read
            self.write = write
        }

        /// SQLite's `PRAGMA user_version`, which only one owner of a file can use.
        public static let userVersion = LegacyMarker(
            name: "user_version",
            read: { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 },
            write: { db, version in try db.execute(sql: "PRAGMA user_version = \(version)") })
    }

    /// The prefix of this owner's identifiers, without the dot.
    public let owner: String
    private let legacy: LegacyMarker
    private var legacySteps = 0
    private var migrator = DatabaseMigrator()

    /// No migrations yet, for `owner`, whose schema version before named migrations is kept by `legacy`.
    public init(owner: String, legacy: LegacyMarker) {
        self.owner = owner
        self.legacy = legacy
    }

    /// Every identifier, in the order the migrations run.
    public var identifiers: [String] { migrator.migrations }

    /// Appends a migration called `owner.name` that runs `migrate` in its own write transaction.
    public mutating func register(_ name: String, migrate: @escaping @Sendable (Database) throws -> Void) {
        migrator.registerMigration("\(owner).\(name)", migrate: migrate)
    }

    /// Appends the next step of the scheme before named migrations: it runs `sql` only on a database whose legacy
    /// marker is below the step's number.
    public mutating func registerLegacyStep(_ name: String, sql: String) {
        precondition(migrator.migrations.count == legacySteps, "legacy steps come before every other migration")
        legacySteps += 1
        let step = legacySteps
        register(name) { [legacy] db in
            guard try legacy.read(db) < step else { return }
            try db.execute(sql: sql)
            try legacy.write(db, step)
        }
    }

    /// The identifiers of this owner's migrations applied to `db`, in the order they run.
    public func applied(_ db: Database) throws -> [String] {
        try migrator.appliedMigrations(db)
    }

    /// Runs the migrations `pool` has not had yet, after refusing a database that a newer tunescore wrote.
    ///
    /// GRDB reads which migrations are applied before taking the write lock, so two processes opening a new
    /// database may both start the first one; the second then fails on the first's tables or identifiers. A failure
    /// after another connection has applied migrations is therefore retried, and any other failure thrown.
    ///
    /// - Throws: `NewerDatabaseError`, or GRDB's `DatabaseError`.
    public func migrate(_ pool: DatabasePool, path: String) throws {
        while true {
            let before = try pool.read { db in
                try refuseNewer(db, path: path)
                return try migrator.appliedIdentifiers(db)
            }
            do {
                return try migrator.migrate(pool)
            } catch {
                let after = try pool.read { db in try migrator.appliedIdentifiers(db) }
                guard after != before else { throw error }
            }
        }
    }

    private func refuseNewer(_ db: Database, path: String) throws {
        let unknown = try migrator.appliedIdentifiers(db)
            .filter { $0.hasPrefix("\(owner).") && !identifiers.contains($0) }
        if let first = unknown.sorted().first {
            throw NewerDatabaseError(databasePath: path, unknownSchema: "migration '\(first)'")
        }
        let version = try legacy.read(db)
        if version > legacySteps {
            throw NewerDatabaseError(databasePath: path, unknownSchema: "\(legacy.name) \(version)")
        }
    }
}

/// A record whose dates are REAL seconds since 1970, as tunescore's tables have always stored them, rather than
/// GRDB's default date text.
public protocol SecondsSince1970Record: EncodableRecord, FetchableRecord {}

extension SecondsSince1970Record {
    /// Seconds since 1970.
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        .timeIntervalSince1970
    }

    /// Seconds since 1970.
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        .timeIntervalSince1970
    }
}
