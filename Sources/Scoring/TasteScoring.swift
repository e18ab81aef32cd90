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
        var done = 0
        let start = Date()
        let tools = try rankingTools()
        progress(0, misses.count)
        let batches = stride(from: 0, to: misses.count, by: batchSize).map { Array(misses[$0..<min($0 + batchSize, misses.count)]) }
        // The next batch decodes while this one is scored: decoding waits on files and on its slowest track, the
        // scoring side on its own serial stretches, and each fills the other's idle cores.
        var nextDecode = batches.first.map(decodeInBackground)
        for (index, batch) in batches.enumerated() {
            let decoded = nextDecode!.wait()
            nextDecode = index + 1 < batches.count ? decodeInBackground(batches[index + 1]) : nil
            let scored = try scoreDecoded(decoded, modelID: modelID, tools: tools)
            try cache?.save(scored.tracks)
            results += scored.tracks
            skipped += scored.skipped
            audioSeconds += scored.audioSeconds
            done += batch.count
            progress(done, misses.count)
        }
        return Outcome(ranked: TasteScoring.rank(results), fromCache: hits.count, scoredNow: misses.count - skipped.count,
                       audioSeconds: audioSeconds, scoringSeconds: Date().timeIntervalSince(start), skipped: skipped)
    }

    /// Decodes and scores one batch, in this thread.
    func scoreBatch(_ batch: [CatalogTrack], modelID: String, tools: (fit: FitCalibration, closest: ClosestLiked)) throws
        -> (tracks: [ScoredTrack], skipped: [SkippedFile], audioSeconds: Double) {
        try scoreDecoded(decode(batch), modelID: modelID, tools: tools)
    }

    /// Decodes the excerpts of `batch` that the model scores, on a thread of its own.
    func decodeInBackground(_ batch: [CatalogTrack]) -> BackgroundResult<DecodedBatch> {
        BackgroundResult { [self] in decode(batch) }
    }

    /// Decodes the excerpts of `batch` that the model scores.
    func decode(_ batch: [CatalogTrack]) -> DecodedBatch {
        model.decodeForScoring(batch.map { AudioTrack($0) }, threads: threads)
    }

    /// The fit scale and the liked-track search, built once per run rather than once per batch.
    func rankingTools() throws -> (fit: FitCalibration, closest: ClosestLiked) {
        (try FitCalibration(scores: model.profile.calibrationScores),
         ClosestLiked(liked: model.profile.liked.map { ($0.displayName, $0.reasonEmbedding) }))
    }

    typealias DecodedBatch = (tracks: [AudioTrack], pcm: [PCMTrack], skipped: [SkippedFile])

    /// Scores one decoded batch (tracks that failed to decode come back as skipped).
    func scoreDecoded(_ decoded: DecodedBatch, modelID: String, tools: (fit: FitCalibration, closest: ClosestLiked)) throws
        -> (tracks: [ScoredTrack], skipped: [SkippedFile], audioSeconds: Double) {
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

/// A value computed on a thread of its own while the caller goes on; `wait()` returns it once ready.
final class BackgroundResult<Value: Sendable>: @unchecked Sendable {
    private var value: Value?
    private let ready = DispatchSemaphore(value: 0)

    init(_ compute: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            value = compute()
            ready.signal()
        }
        thread.name = "tunescore.decode"
        thread.start()
    }

    /// Blocks until the value is computed. Call it once.
    func wait() -> Value {
        ready.wait()
        return value!
    }
}
