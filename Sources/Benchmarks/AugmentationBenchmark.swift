import Dispatch
import Features
import Foundation
import Model

/// What the data side of music training costs per excerpt, step by step, on one thread: the numbers that decide
/// whether batch preparation can keep up with the network (`tunescore bench augment`).
public enum AugmentationBenchmark {
    /// Milliseconds of one thread per excerpt.
    public struct Report: Codable, Sendable {
        /// Excerpts timed per measurement.
        public var excerpts: Int
        public var excerptSeconds: Double
        /// The log-mel image of one excerpt.
        public var logMelMilliseconds: Double
        /// What each augmentation step, applied to every excerpt (probability 1), adds to the log-mel, by step name.
        public var stepMilliseconds: [String: Double]
        /// One training item as the config makes it: both views with all their shifts, every step at its
        /// probability, log-mels and flips included.
        public var trainingItemMilliseconds: Double
        /// The config's `pitch_shift`.
        public var pitchShift: String
        /// The config's `reverb`.
        public var reverb: String
    }

    /// Times the steps on `excerpts` seeded excerpts of generated audio (tones, a chirp and noise, which cost the
    /// same to process as music).
    public static func run(config: RunConfig, excerpts: Int) throws -> Report {
        let views = try AudioViewMaker(config: config)
        let samples = (0..<excerpts).map { syntheticExcerpt(length: views.excerptLength, sampleRate: config.sampleRate, seed: UInt64($0)) }
        let logMel = millisecondsPerExcerpt(samples) { excerpt, _ in _ = views.mel.logMel(excerpt) }
        var steps: [String: Double] = [:]
        for step in AudioAugmentation.Step.allCases {
            steps[step.rawValue] = millisecondsPerExcerpt(samples) { excerpt, generator in
                var copy = excerpt
                var spectral = SpectralAugmentation()
                try? views.augmentation.apply(step, to: &copy, spectral: &spectral, using: &generator)
                _ = views.mel.logMel(copy, pitchCents: spectral.pitchCents)
            } - logMel
        }
        let shifts = config.duplicationFactor, size = views.shape.size
        var buffer = [Float](repeating: 0, count: 2 * shifts * size)
        let item = buffer.withUnsafeMutableBufferPointer { buffer in
            let slots = (0..<(2 * shifts)).map { UnsafeMutableBufferPointer(rebasing: buffer[($0 * size)..<(($0 + 1) * size)]) }
            return millisecondsPerExcerpt(samples) { excerpt, generator in
                for view in 0..<2 { views.writeShiftedViews(excerpt, generator: &generator, into: slots[(view * shifts)..<((view + 1) * shifts)]) }
            }
        }
        return Report(excerpts: excerpts, excerptSeconds: Double(views.excerptLength) / Double(config.sampleRate),
                      logMelMilliseconds: logMel, stepMilliseconds: steps, trainingItemMilliseconds: item,
                      pitchShift: config.pitchShift.rawValue, reverb: config.reverb.rawValue)
    }

    /// Mean milliseconds of `body` per excerpt, after one untimed call (FFT plans and libsox set up once).
    private static func millisecondsPerExcerpt(_ excerpts: [[Float]], _ body: ([Float], inout SeededGenerator) -> Void) -> Double {
        var generator = SeededGenerator(seed: 3)
        body(excerpts[0], &generator)
        let start = DispatchTime.now()
        for excerpt in excerpts { body(excerpt, &generator) }
        return seconds(since: start) * 1000 / Double(excerpts.count)
    }

    /// Two tones, a chirp and noise at moderate level.
    private static func syntheticExcerpt(length: Int, sampleRate: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        let rate = Float(sampleRate), base = 110 * Float(1 + seed % 7)
        return (0..<length).map { i in
            let t = Float(i) / rate
            let chirp = sin(2 * .pi * (200 + 400 * t) * t)
            return 0.2 * sin(2 * .pi * base * t) + 0.1 * sin(2 * .pi * 3 * base * t) + 0.1 * chirp + 0.05 * generator.uniform(-1, 1)
        }
    }
}
