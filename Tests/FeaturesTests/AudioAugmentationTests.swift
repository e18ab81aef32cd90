import TestSupport
import XCTest
@testable import Features

final class AudioAugmentationTests: XCTestCase {
    let augmentation = AudioAugmentation()
    let length = 43_740

    private func music() -> [Float] {
        Signals.sum(Signals.sine(frequency: 220, count: length, amplitude: 0.4), Signals.sine(frequency: 1500, count: length, amplitude: 0.2))
    }

    private func applied(_ step: AudioAugmentation.Step, seed: UInt64) throws -> [Float] {
        var generator = SeededGenerator(seed: seed)
        var samples = music()
        var spectral = SpectralAugmentation()
        try augmentation.apply(step, to: &samples, spectral: &spectral, using: &generator)
        XCTAssertEqual(spectral, SpectralAugmentation(), "libsox pitch shifts the audio itself")
        return samples
    }

    func testEveryStepKeepsLengthAndIsReproducible() throws {
        for step in AudioAugmentation.Step.allCases {
            let first = try applied(step, seed: 5)
            XCTAssertEqual(first.count, length, "\(step)")
            XCTAssertTrue(first.allSatisfy(\.isFinite), "\(step)")
            XCTAssertEqual(first, try applied(step, seed: 5), "\(step) with the same seed")
            if step != .polarity {
                XCTAssertNotEqual(first, try applied(step, seed: 6), "\(step) with another seed")
            }
        }
    }

    func testPipelineIsReproducibleUnderSeed() throws {
        var a = SeededGenerator(seed: 11), b = SeededGenerator(seed: 11), c = SeededGenerator(seed: 12)
        let first = try augmentation.augmented(music(), using: &a)
        XCTAssertEqual(first.count, length)
        XCTAssertEqual(first, try augmentation.augmented(music(), using: &b))
        XCTAssertNotEqual(first, try augmentation.augmented(music(), using: &c))
    }

    func testKeepingOnlySomeStepsTurnsTheOthersOff() throws {
        let defaults = AudioAugmentation.Settings()
        let kept = defaults.keeping(only: [.gain, .reverb])
        for step in AudioAugmentation.Step.allCases {
            let expected = [.gain, .reverb].contains(step) ? defaults.probability(of: step) : 0
            XCTAssertEqual(kept.probability(of: step), expected, "\(step)")
        }
        var generator = SeededGenerator(seed: 3)
        let none = AudioAugmentation(settings: defaults.keeping(only: []))
        XCTAssertEqual(try none.augmented(music(), using: &generator), music())
    }

    func testSpectralPitchStepLeavesTheAudioAndRecordsCents() throws {
        let spectralPitch = AudioAugmentation(pitchShift: .spectral)
        var recorded: Set<Int> = []
        for seed in 0..<8 {
            var generator = SeededGenerator(seed: UInt64(seed)), again = SeededGenerator(seed: UInt64(seed))
            var samples = music(), copy = music()
            var spectral = SpectralAugmentation(), repeated = SpectralAugmentation()
            try spectralPitch.apply(.pitch, to: &samples, spectral: &spectral, using: &generator)
            try spectralPitch.apply(.pitch, to: &copy, spectral: &repeated, using: &again)
            XCTAssertEqual(samples, music())
            XCTAssertEqual(spectral, repeated)
            XCTAssertTrue((-500...500).contains(spectral.pitchCents))
            recorded.insert(spectral.pitchCents)
        }
        XCTAssertGreaterThan(recorded.count, 4, "the cents are drawn, not fixed")
    }

    func testSpectralPipelineReturnsThePitchItDrew() throws {
        var settings = AudioAugmentation.Settings().keeping(only: [.pitch])
        settings.pitchProbability = 1
        var a = SeededGenerator(seed: 4), b = SeededGenerator(seed: 4)
        var samples = music()
        let spectral = try AudioAugmentation(settings: settings, pitchShift: .spectral).apply(to: &samples, using: &a)
        XCTAssertEqual(samples, music())
        // The same draws on the libsox pipeline shift the audio by those cents instead.
        var soxSamples = music()
        let none = try AudioAugmentation(settings: settings, pitchShift: .sox).apply(to: &soxSamples, using: &b)
        XCTAssertEqual(none, SpectralAugmentation())
        XCTAssertNotEqual(spectral.pitchCents, 0)
        XCTAssertNotEqual(soxSamples, music())
    }

    func testNativePitchStepShiftsTheAudioByTheCentsItDraws() throws {
        let native = AudioAugmentation(pitchShift: .native)
        var a = SeededGenerator(seed: 6), b = SeededGenerator(seed: 6), c = SeededGenerator(seed: 6)
        var first = music(), second = music()
        var spectral = SpectralAugmentation()
        try native.apply(.pitch, to: &first, spectral: &spectral, using: &a)
        try native.apply(.pitch, to: &second, spectral: &spectral, using: &b)
        XCTAssertEqual(spectral, SpectralAugmentation(), "the native shift acts on the audio")
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.count, length)
        let cents = c.integer(in: AudioAugmentation.Settings().pitchCents)
        XCTAssertNotEqual(cents, 0)
        XCTAssertEqual(first, WSOLAPitchShift.shifted(music(), cents: cents, sampleRate: 16_000))
    }

    func testPolarityFlipsSign() throws {
        XCTAssertEqual(try applied(.polarity, seed: 1), music().map { -$0 })
    }

    func testGainStaysWithinMinusSixToZeroDecibels() throws {
        let before = Signals.rms(music())
        for seed in 0..<20 {
            let decibels = 20 * log10(Signals.rms(try applied(.gain, seed: UInt64(seed))) / before)
            XCTAssertTrue((-6.0001...0.0001).contains(decibels), "\(decibels) dB")
        }
    }

    func testHighPassRemovesLowToneAndKeepsHighTone() {
        let steady = 8000..<length
        for cutoff in [200.0, 1200.0] {
            var samples = Signals.sum(Signals.sine(frequency: 50, count: length), Signals.sine(frequency: 3000, count: length))
            BiquadFilter.highPass(cutoff: cutoff, sampleRate: 16_000).apply(to: &samples)
            XCTAssertLessThan(Signals.amplitude(of: 50, in: samples, range: steady), 0.5 * 0.07, "cutoff \(cutoff)")  // < -23 dB
            XCTAssertEqual(Signals.amplitude(of: 3000, in: samples, range: steady), 0.5, accuracy: 0.5 * 0.12, "cutoff \(cutoff)")
        }
    }

    func testLowPassKeepsLowToneAndRemovesHighTone() {
        let steady = 8000..<length
        for cutoff in [2200.0, 4000.0] {
            var samples = Signals.sum(Signals.sine(frequency: 50, count: length), Signals.sine(frequency: 7000, count: length))
            BiquadFilter.lowPass(cutoff: cutoff, sampleRate: 16_000).apply(to: &samples)
            XCTAssertEqual(Signals.amplitude(of: 50, in: samples, range: steady), 0.5, accuracy: 0.5 * 0.02, "cutoff \(cutoff)")
            XCTAssertLessThan(Signals.amplitude(of: 7000, in: samples, range: steady), 0.5 * 0.1, "cutoff \(cutoff)")  // < -20 dB
        }
    }

    func testPitchShiftByOctaveDoublesFrequency() throws {
        let tone = Signals.sine(frequency: 440, count: length)
        let shifted = try SoxEffects.pitchShifted(tone, cents: 1200, sampleRate: 16_000)
        XCTAssertEqual(shifted.count, length)
        XCTAssertEqual(Signals.zeroCrossingFrequency(shifted, range: 4000..<(length - 4000)), 880, accuracy: 880 * 0.02)
        let down = try SoxEffects.pitchShifted(tone, cents: -500, sampleRate: 16_000)
        XCTAssertEqual(Signals.zeroCrossingFrequency(down, range: 4000..<(length - 4000)), 440 * pow(2, -5.0 / 12), accuracy: 440 * 0.02)
    }

    func testReverbKeepsLengthAndAddsATail() throws {
        // A burst followed by silence: the reverb must ring on after the burst ends.
        let burst = Signals.sine(frequency: 500, count: 4000) + Array(repeating: 0, count: length - 4000)
        let wet = try SoxEffects.reverberated(burst, reverberance: 90, damping: 50, roomScale: 90, sampleRate: 16_000)
        XCTAssertEqual(wet.count, length)
        XCTAssertGreaterThan(Signals.rms(Array(wet[5000..<8000])), 1e-3)
    }

    func testSoxEffectsFromSeveralThreadsMatchOneThread() throws {
        // Training builds batches on several threads, and a training run crashed inside libsox when two threads
        // built chains at once (this test does not hit that race reliably): concurrent calls must give exactly
        // the serial results.
        let burst = Signals.sine(frequency: 500, count: 4000) + Array(repeating: 0, count: length - 4000)
        let expectedWet = try SoxEffects.reverberated(burst, reverberance: 70, damping: 50, roomScale: 80, sampleRate: 16_000)
        let expectedShifted = try SoxEffects.pitchShifted(burst, cents: 300, sampleRate: 16_000)
        let mismatches = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 40) { i in
            let same = i % 2 == 0
                ? (try? SoxEffects.reverberated(burst, reverberance: 70, damping: 50, roomScale: 80, sampleRate: 16_000)) == expectedWet
                : (try? SoxEffects.pitchShifted(burst, cents: 300, sampleRate: 16_000)) == expectedShifted
            if !same { mismatches.withLock { $0 += 1 } }
        }
        XCTAssertEqual(mismatches.value, 0)
    }

    func testDelayMixesAnAttenuatedCopy() {
        var impulse = [Float](repeating: 0, count: 16_000)
        impulse[0] = 1
        AudioAugmentation.addDelay(&impulse, milliseconds: 250, volume: 0.5, sampleRate: 16_000)
        XCTAssertEqual(impulse[0], 0.5)
        XCTAssertEqual(impulse[4000], 0.25)
        XCTAssertEqual(impulse.filter { $0 != 0 }.count, 2)
    }

    func testNoProbabilitiesMeansUnchanged() throws {
        var settings = AudioAugmentation.Settings()
        for path in [\AudioAugmentation.Settings.polarityProbability, \.noiseProbability, \.gainProbability,
                     \.filterProbability, \.delayProbability, \.pitchProbability, \.reverbProbability] {
            settings[keyPath: path] = 0
        }
        var generator = SeededGenerator(seed: 1)
        XCTAssertEqual(try AudioAugmentation(settings: settings).augmented(music(), using: &generator), music())
    }

    func testConcurrentAugmentationMatchesSerial() throws {
        var settings = AudioAugmentation.Settings()
        settings.pitchProbability = 1
        settings.reverbProbability = 1
        let pipeline = AudioAugmentation(settings: settings)
        let root = SeededGenerator(seed: 21)
        let input = music()
        let serial = try (0..<8).map { i -> [Float] in
            var generator = root.derived(UInt64(i))
            return try pipeline.augmented(input, using: &generator)
        }
        let results = Locked([[Float]?](repeating: nil, count: 8))
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            var generator = root.derived(UInt64(i))
            let augmented = try? pipeline.augmented(input, using: &generator)
            results.withLock { $0[i] = augmented }
        }
        XCTAssertEqual(results.value, serial.map { Optional($0) })
    }
}
