import Dispatch
import Features
import Foundation
import LibraryScanner
import Model

/// Feature extraction speed: decode → mono → resample → log-mel of whole tracks, without the cache.
public enum FeatureBenchmark {
    /// What `run` measured.
    public struct Report: Codable, Sendable {
        /// Tracks read (tracks that failed to decode are counted in `failedTracks`, not here).
        public var tracks: Int
        public var failedTracks: Int
        /// Seconds of source audio read.
        public var audioSeconds: Double
        public var wallSeconds: Double
        /// `audioSeconds / wallSeconds`.
        public var realtimeFactor: Double
        /// Thread seconds spent decoding + mixing down + resampling, and computing log-mels, summed over threads.
        public var decodeThreadSeconds: Double
        public var melThreadSeconds: Double
        public var threads: Int
    }

    /// Seconds of audio processed per second of wall time, over `tracks`, on `threads` threads.
    public static func realtimeFactor(tracks: [AudioTrack], config: RunConfig, threads: Int) throws -> Double {
        try run(tracks: tracks, config: config, threads: threads).realtimeFactor
    }

    /// Decodes every track whole and computes the log-mels of all its excerpts; threads take the next track when
    /// they are free, so long and short tracks share the cores evenly.
    public static func run(tracks: [AudioTrack], config: RunConfig, threads: Int) throws -> Report {
        let decoder = AudioDecoder(targetSampleRate: config.sampleRate)
        let mel = MelSpectrogram(sampleRate: config.sampleRate, excerptLength: config.sampleLength)
        let audioSeconds = LockedArray<Double>(repeating: 0, count: tracks.count)
        let stageSeconds = LockedArray<Double>(repeating: 0, count: 2)
        let failed = LockedArray<Int>(repeating: 0, count: 1)
        let start = DispatchTime.now()
        parallelFor(tracks.count, threads: threads) { i in
            let decodeStart = DispatchTime.now()
            guard let decoded = try? decoder.decode(path: tracks[i].path) else {
                _ = failed.increment(0)
                return
            }
            let melStart = DispatchTime.now()
            _ = mel.logMelBatch(track: decoded.samples, workers: 1)
            stageSeconds.add(Double(melStart.uptimeNanoseconds - decodeStart.uptimeNanoseconds) / 1e9, at: 0)
            stageSeconds.add(seconds(since: melStart), at: 1)
            audioSeconds[i] = decoded.sourceDuration
        }
        let wall = seconds(since: start)
        let audio = audioSeconds.elements.reduce(0, +)
        return Report(tracks: tracks.count - failed[0], failedTracks: failed[0], audioSeconds: audio,
                      wallSeconds: wall, realtimeFactor: audio / max(wall, 1e-9),
                      decodeThreadSeconds: stageSeconds[0], melThreadSeconds: stageSeconds[1],
                      threads: max(1, min(threads, tracks.count)))
    }
}
