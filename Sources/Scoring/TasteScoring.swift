import Foundation
import LibraryScanner
import Model

/// Scores catalog tracks with a taste model: cached results where the file and the model are unchanged,
/// fresh scores (in batches, each saved in one transaction) for the rest.
public struct TasteScoring: Sendable {
    public let model: TasteModel
    /// nil: score without caching (a single file).
    public let cache: ScoreCache?
    public let threads: Int
    /// Tracks scored between two saves: a killed run loses at most one batch.
    public var batchSize = 16

    public init(model: TasteModel, cache: ScoreCache?, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.model = model
        self.cache = cache
        self.threads = threads
    }

    /// What a scoring run did.
    public struct Outcome: Sendable {
        /// Every scored track (cached or new), best fit first.
        public var ranked: [ScoredTrack]
        public var fromCache: Int
        public var scoredNow: Int
        /// Seconds of audio scored now, and the wall time it took (decode included).
        public var audioSeconds: Double
        public var scoringSeconds: Double
        public var skipped: [SkippedFile]
    }

    /// Scores `tracks`; `progress` sees (tracks done, tracks to score now).
    public func score(_ tracks: [CatalogTrack], progress: (Int, Int) -> Void = { _, _ in }) throws -> Outcome {
        let modelID = model.profile.modelID
        let hits = try cache?.cached(modelID: modelID, files: tracks.map { ($0.path, $0.size, $0.modificationTimeNs) }) ?? [:]
        let misses = tracks.filter { hits[$0.path] == nil }
        var results = Array(hits.values)
        var skipped: [SkippedFile] = []
        var audioSeconds = 0.0
        let start = Date()
        let tools = try rankingTools()
        progress(0, misses.count)
        for batchStart in stride(from: 0, to: misses.count, by: batchSize) {
            let batch = Array(misses[batchStart..<min(batchStart + batchSize, misses.count)])
            let scored = try scoreBatch(batch, modelID: modelID, tools: tools)
            try cache?.save(scored.tracks)
            results += scored.tracks
            skipped += scored.skipped
            audioSeconds += scored.audioSeconds
            progress(batchStart + batch.count, misses.count)
        }
        return Outcome(ranked: TasteScoring.rank(results), fromCache: hits.count, scoredNow: misses.count - skipped.count,
                       audioSeconds: audioSeconds, scoringSeconds: Date().timeIntervalSince(start), skipped: skipped)
    }

    /// The fit scale and the liked-track search, built once per run rather than once per batch.
    func rankingTools() throws -> (fit: FitCalibration, closest: ClosestLiked) {
        (try FitCalibration(scores: model.profile.calibrationScores),
         ClosestLiked(liked: model.profile.liked.map { ($0.displayName, $0.reasonEmbedding) }))
    }

    func scoreBatch(_ batch: [CatalogTrack], modelID: String, tools: (fit: FitCalibration, closest: ClosestLiked)) throws
        -> (tracks: [ScoredTrack], skipped: [SkippedFile], audioSeconds: Double) {
        let decoded = model.decodeForScoring(batch.map { AudioTrack($0) }, threads: threads)
        guard !decoded.tracks.isEmpty else { return ([], decoded.skipped, 0) }
        let scores = try model.score(decoded.tracks, pcm: decoded.pcm, threads: threads)
        let now = Date()
        let tracks = decoded.tracks.indices.map { t -> ScoredTrack in
            let track = decoded.tracks[t]
            return ScoredTrack(
                path: track.path, size: track.size, modificationTimeNs: track.modificationTimeNs, modelID: modelID,
                title: track.title, artist: track.artist, album: track.album, duration: track.duration ?? decoded.pcm[t].duration,
                norm: scores.norm[t], csi: scores.csi[t], score: scores.ranked[t], fit: tools.fit.fit(for: scores.ranked[t]),
                excerptCount: scores.excerptCounts[t], reasons: tools.closest.reasons(for: scores.reasonEmbeddings[t], count: 3),
                scoredAt: now)
        }
        return (tracks, decoded.skipped, decoded.pcm.reduce(0) { $0 + $1.duration })
    }

    /// Best fit first, as the cache ranks (ties: higher score, then path).
    public static func rank(_ tracks: [ScoredTrack]) -> [ScoredTrack] {
        tracks.sorted { ($0.fit, $0.score, $1.path) > ($1.fit, $1.score, $0.path) }
    }
}
