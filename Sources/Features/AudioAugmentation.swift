import Foundation

/// The random audio augmentations applied to every training view (CLMR's set), each step with its own
/// probability, every draw taken from the caller's `SeededGenerator` so a seed fixes the result.
///
/// Steps run in CLMR's order: polarity inversion, noise, gain, high-or-low pass, delay, pitch shift, reverb.
/// Every step keeps the excerpt's length exactly. Reverb is libsox's own `reverb` effect (see `SoxEffects`), the
/// implementation CLMR uses, or with `Reverb.native` the same Freeverb computed here (`FreeverbReverb`). Pitch
/// shift is libsox's `pitch` + `rate` on the audio (`PitchShift.sox`, CLMR's), the same chain computed here
/// (`PitchShift.native`, `WSOLAPitchShift`), or, with `PitchShift.spectral`, left to the log-mel stage as a
/// frequency scaling of the spectrum (`SpectralAugmentation`), which is what a pitch shift does to the mel image,
/// without the cost on the audio.
public struct AudioAugmentation: Sendable {
    /// Where the pitch-shift step happens.
    public enum PitchShift: String, CaseIterable, Sendable, Codable {
        /// On the mel image: the spectrum's frequency axis scaled on its way into the mel bands.
        case spectral
        /// On the audio, with libsox's `pitch` (WSOLA time stretch) and `rate`, as CLMR does.
        case sox
        /// On the audio, with libsox's WSOLA time stretch computed here and libsoxr (`WSOLAPitchShift`): libsox's
        /// chain without its lock and set-up costs.
        case native
    }

    /// What computes the reverb step.
    public enum Reverb: String, CaseIterable, Sendable, Codable {
        /// libsox's `reverb` effect, as CLMR does.
        case sox
        /// tunescore's own implementation of libsox's reverb (`FreeverbReverb`): equal output, a fraction of the cost.
        case native
    }

    /// One augmentation step.
    public enum Step: String, CaseIterable, Sendable, Codable {
        case polarity, noise, gain, filter, delay, pitch, reverb
    }

    /// Probabilities and parameter ranges. Defaults are the reference's (method.md, "Training item (audio)");
    /// noise and delay are CLMR's additions with CLMR's values.
    public struct Settings: Sendable, Equatable, Codable {
        /// Probability of inverting the polarity.
        public var polarityProbability = 0.8
        /// Probability of adding Gaussian noise of std `u · std(excerpt)`, `u` uniform in `noiseScale`.
        public var noiseProbability = 0.01
        public var noiseScale: ClosedRange<Float> = 1e-4...1e-2
        /// Probability of a gain change, uniform in `gainDecibels`.
        public var gainProbability = 0.4
        public var gainDecibels: ClosedRange<Float> = -6...0
        /// Probability of filtering; then high- or low-pass with equal chance, integer cutoff in Hz.
        public var filterProbability = 0.8
        public var highPassCutoff: ClosedRange<Int> = 200...1200
        public var lowPassCutoff: ClosedRange<Int> = 2200...4000
        /// Probability of adding a delayed copy at `delayVolume`, delay a multiple of `delayStepMilliseconds`
        /// in `delayMilliseconds`, then halving the sum (CLMR's `Delay`).
        public var delayProbability = 0.3
        public var delayMilliseconds: ClosedRange<Int> = 200...500
        public var delayStepMilliseconds = 50
        public var delayVolume: Float = 0.5
        /// Probability of a pitch shift by integer cents in `pitchCents`.
        public var pitchProbability = 0.4
        public var pitchCents: ClosedRange<Int> = -500...500
        /// Probability of reverb; reverberance, HF damping and room scale each an integer in `reverbParameter`.
        public var reverbProbability = 0.4
        public var reverbParameter: ClosedRange<Int> = 0...99

        /// The defaults.
        public init() {}

        /// Probability that `step` is applied.
        public func probability(of step: Step) -> Double { self[keyPath: Self.probabilityPath(of: step)] }

        /// These settings with only `steps` left on: every other step's probability becomes 0. The
        /// random draws stay the same, so the steps that remain see the same parameters under a seed.
        public func keeping(only steps: some Sequence<Step>) -> Settings {
            let kept = Set(steps)
            var settings = self
            for step in Step.allCases where !kept.contains(step) { settings[keyPath: Self.probabilityPath(of: step)] = 0 }
            return settings
        }

        private static func probabilityPath(of step: Step) -> WritableKeyPath<Settings, Double> {
            switch step {
            case .polarity: \.polarityProbability
            case .noise: \.noiseProbability
            case .gain: \.gainProbability
            case .filter: \.filterProbability
            case .delay: \.delayProbability
            case .pitch: \.pitchProbability
            case .reverb: \.reverbProbability
            }
        }
    }

    /// Sample rate of the excerpts in Hz.
    public let sampleRate: Int
    /// Probabilities and ranges.
    public let settings: Settings
    /// Where the pitch-shift step happens.
    public let pitchShift: PitchShift
    /// What computes the reverb step.
    public let reverb: Reverb

    /// An augmentation pipeline for audio at `sampleRate`.
    public init(sampleRate: Int = 16_000, settings: Settings = Settings(), pitchShift: PitchShift = .sox, reverb: Reverb = .sox) {
        self.sampleRate = sampleRate
        self.settings = settings
        self.pitchShift = pitchShift
        self.reverb = reverb
    }

    /// Applies each step with its probability, in order, and returns what is left for the log-mel stage (a
    /// spectral pitch shift). Throws only if libsox fails.
    @discardableResult
    public func apply(to excerpt: inout [Float], using generator: inout SeededGenerator) throws(SoxError) -> SpectralAugmentation {
        var spectral = SpectralAugmentation()
        for step in Step.allCases where generator.chance(settings.probability(of: step)) {
            try apply(step, to: &excerpt, spectral: &spectral, using: &generator)
        }
        return spectral
    }

    /// `excerpt` augmented by `apply(to:using:)`: the audio steps only (a spectral pitch shift is not in the samples).
    public func augmented(_ excerpt: [Float], using generator: inout SeededGenerator) throws(SoxError) -> [Float] {
        var copy = excerpt
        try apply(to: &copy, using: &generator)
        return copy
    }

    /// Applies one step unconditionally, drawing its parameters from `generator`; a spectral pitch shift goes into
    /// `spectral` instead of the samples.
    public func apply(_ step: Step, to excerpt: inout [Float], spectral: inout SpectralAugmentation,
                      using generator: inout SeededGenerator) throws(SoxError) {
        let s = settings
        switch step {
        case .polarity:
            Self.invertPolarity(&excerpt)
        case .noise:
            addRelativeNoise(to: &excerpt, scaleRange: s.noiseScale, using: &generator)
        case .gain:
            Self.applyGain(&excerpt, decibels: generator.uniform(s.gainDecibels.lowerBound, s.gainDecibels.upperBound))
        case .filter:
            let filter = generator.chance(0.5)
                ? BiquadFilter.highPass(cutoff: Double(generator.integer(in: s.highPassCutoff)), sampleRate: sampleRate)
                : BiquadFilter.lowPass(cutoff: Double(generator.integer(in: s.lowPassCutoff)), sampleRate: sampleRate)
            filter.apply(to: &excerpt)
        case .delay:
            let steps = (s.delayMilliseconds.upperBound - s.delayMilliseconds.lowerBound) / s.delayStepMilliseconds
            let milliseconds = s.delayMilliseconds.lowerBound + s.delayStepMilliseconds * generator.integer(in: 0...steps)
            Self.addDelay(&excerpt, milliseconds: milliseconds, volume: s.delayVolume, sampleRate: sampleRate)
        case .pitch:
            let cents = generator.integer(in: s.pitchCents)
            guard cents != 0 else { break }
            switch pitchShift {
            case .sox: excerpt = try SoxEffects.pitchShifted(excerpt, cents: cents, sampleRate: sampleRate)
            case .native: excerpt = WSOLAPitchShift.shifted(excerpt, cents: cents, sampleRate: sampleRate)
            case .spectral: spectral.pitchCents += cents
            }
        case .reverb:
            let reverberance = generator.integer(in: s.reverbParameter)
            let damping = generator.integer(in: s.reverbParameter)
            let roomScale = generator.integer(in: s.reverbParameter)
            switch reverb {
            case .sox:
                excerpt = try SoxEffects.reverberated(
                    excerpt, reverberance: reverberance, damping: damping, roomScale: roomScale, sampleRate: sampleRate)
            case .native:
                excerpt = FreeverbReverb(reverberance: reverberance, damping: damping, roomScale: roomScale, sampleRate: sampleRate)
                    .reverberated(excerpt)
            }
        }
    }

    // MARK: - Deterministic building blocks

    /// Negates every sample.
    public static func invertPolarity(_ samples: inout [Float]) {
        for i in samples.indices { samples[i] = -samples[i] }
    }

    /// Scales by `decibels` (amplitude factor 10^(dB/20)).
    public static func applyGain(_ samples: inout [Float], decibels: Float) {
        let factor = Float(pow(10, Double(decibels) / 20))
        for i in samples.indices { samples[i] *= factor }
    }

    /// Mixes in a copy delayed by `milliseconds` at `volume` and halves the sum, as CLMR's `Delay`:
    /// `(x[n] + volume · x[n - d]) / 2`, with silence before the start.
    public static func addDelay(_ samples: inout [Float], milliseconds: Int, volume: Float, sampleRate: Int) {
        let offset = milliseconds * sampleRate / 1000
        // Walk backwards so x[n - d] is still the original sample when it is read.
        for n in samples.indices.reversed() {
            let delayed = n >= offset ? samples[n - offset] : 0
            samples[n] = (samples[n] + volume * delayed) / 2
        }
    }
}

/// The part of an augmentation that acts on the spectrum, applied when the log-mel image is made
/// (`MelSpectrogram.logMel(_:pitchCents:)`).
public struct SpectralAugmentation: Sendable, Equatable {
    /// Pitch shift in cents (0: none).
    public var pitchCents = 0

    /// No spectral change.
    public init(pitchCents: Int = 0) { self.pitchCents = pitchCents }
}

extension SeededGenerator {
    /// A uniform integer in `range`. Computed here rather than with `Int.random(in:using:)` so the sequence
    /// cannot change with the standard library's algorithm; the modulo bias is below 2^-50 for these ranges.
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % span)
    }
}
