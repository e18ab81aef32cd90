import Foundation
import LibraryScanner
import Model
import Scoring

/// Scoring speed: a cold run (scan, decode, score, save) and a cached re-run over the same folders, in a
/// fresh database so nothing is cached before the cold run.
public enum ScoringBenchmark {
    public struct Report: Codable, Sendable {
        public var tracks: Int
        public var audioSeconds: Double
        public var coldSeconds: Double
        /// Seconds of audio per wall-clock second, decode included.
        public var coldRealtimeFactor: Double
        public var cachedSeconds: Double
        public var cachedSecondsPer1000Tracks: Double
        public var skipped: Int
        public var threads: Int
        /// The process's peak resident memory so far (model and libraries included).
        public var peakRSSBytes: Int64
    }

    /// Scores `folders` twice with `model`, in a new database in a temporary folder (removed afterwards).
    public static func run(model: TasteModel, folders: [RawPath]) throws -> Report {
        try inWorkFolder("score") { try run(model: model, folders: folders, databasePath: $0.appendingPathComponent("library.sqlite").path) }
    }

    /// Scores `folders` twice with `model`, using a new database at `databasePath`.
    public static func run(model: TasteModel, folders: [RawPath], databasePath: String) throws -> Report {
        let coldStart = Date()
        let cold = try scoreOnce(model: model, folders: folders, databasePath: databasePath)
        let coldSeconds = Date().timeIntervalSince(coldStart)
        let cachedStart = Date()
        let cached = try scoreOnce(model: model, folders: folders, databasePath: databasePath)
        let cachedSeconds = Date().timeIntervalSince(cachedStart)
        guard cached.scoredNow == 0 else {
            throw BenchmarkError(message: "the second run scored \(cached.scoredNow) tracks again: the cache did not hold")
        }
        return Report(tracks: cold.ranked.count, audioSeconds: cold.audioSeconds, coldSeconds: coldSeconds,
                      coldRealtimeFactor: cold.audioSeconds / max(coldSeconds, 1e-9), cachedSeconds: cachedSeconds,
                      cachedSecondsPer1000Tracks: cachedSeconds / Double(max(1, cached.ranked.count)) * 1000,
                      skipped: cold.skipped.count, threads: TorchRuntime.threads, peakRSSBytes: ProcessMemory.peakResidentBytes())
    }

    /// What `tunescore score` does: scan, then score what the cache does not hold.
    private static func scoreOnce(model: TasteModel, folders: [RawPath], databasePath: String) throws
        -> TasteScoring.Outcome {
        let catalog = try TrackCatalog(path: databasePath)
        _ = try LibraryScan().scan(folders: folders, catalog: catalog)
        let scoring = TasteScoring(model: model, cache: try ScoreCache(path: databasePath))
        return try scoring.score(try catalog.tracks(under: folders.map(\.absolute)))
    }
}
