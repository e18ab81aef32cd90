import Foundation
import TestSupport
import XCTest
@testable import Features

final class WSOLAPitchShiftTests: XCTestCase {
    private let length = 43_740
    private let middle = 4000..<39_740

    func testShiftKeepsTheLengthAndMovesAToneByTheRatio() {
        let tone = Signals.sine(frequency: 440, count: length)
        for cents in [-500, -130, 300, 500, 1200] {
            let shifted = WSOLAPitchShift.shifted(tone, cents: cents, sampleRate: 16_000)
            XCTAssertEqual(shifted.count, length, "\(cents) cents")
            let expected = 440 * pow(2, Double(cents) / 1200)
            XCTAssertEqual(Signals.zeroCrossingFrequency(shifted, range: middle), expected, accuracy: expected * 0.01, "\(cents) cents")
        }
    }

    func testAnOddLengthAndNoShift() {
        let tone = Signals.sine(frequency: 1000, count: 20_001)
        XCTAssertEqual(WSOLAPitchShift.shifted(tone, cents: 0, sampleRate: 16_000), tone)
        XCTAssertEqual(WSOLAPitchShift.shifted(tone, cents: -499, sampleRate: 16_000).count, 20_001)
    }

    func testLengthsAreLibsoxsDefaultsRoundedAsLibsoxRoundsThem() {
        let at16k = WSOLAPitchShift.Lengths(sampleRate: 16_000)
        XCTAssertEqual([at16k.segment, at16k.search, at16k.overlap], [1312, 235, 192])
        let at44k = WSOLAPitchShift.Lengths(sampleRate: 44_100)
        XCTAssertEqual([at44k.segment, at44k.search, at44k.overlap], [3616, 647, 528])
    }

    func testTheTempoFactorIsLibsoxsSixDigitText() {
        XCTAssertEqual(WSOLAPitchShift.tempoFactor(cents: 250), 0.865537)
        XCTAssertEqual(WSOLAPitchShift.tempoFactor(cents: -1200), 2)
    }

    func testTimeStretchKeepsThePitchAndScalesTheLength() {
        let tone = Signals.sine(frequency: 523, count: length)
        for tempo in [0.75, 1.33] {
            let stretched = WSOLAPitchShift.timeStretched(tone, tempo: tempo, lengths: .init(sampleRate: 16_000))
            XCTAssertEqual(stretched.count, Int(Double(length) / tempo + 0.5))
            // Well-aligned joins keep a pure tone pure: its amplitude stays put and the frequency does not move.
            let range = 4000..<(stretched.count - 4000)
            XCTAssertEqual(Signals.zeroCrossingFrequency(stretched, range: range), 523, accuracy: 523 * 0.005)
            XCTAssertEqual(Signals.amplitude(of: 523, in: stretched, range: range), 0.5, accuracy: 0.05)
        }
    }

    func testTheStretchEqualsLibsoxsTempo() throws {
        let signal = musicLike()
        for cents in [-500, -400, -37, 250, 500] {
            let tempo = WSOLAPitchShift.tempoFactor(cents: cents)
            let ours = WSOLAPitchShift.timeStretched(signal, tempo: tempo, lengths: .init(sampleRate: 16_000))
            let libsox = try SoxEffects.tempoChanged(signal, factor: tempo, sampleRate: 16_000)
            let compared = min(ours.count, libsox.count)
            XCTAssertLessThan(maxDifference(ours, libsox, count: compared), 1e-4, "\(cents) cents")
        }
    }

    func testTheShiftEqualsLibsoxsPitchAndRate() throws {
        let signal = musicLike()
        let mel = MelSpectrogram()
        for cents in [-400, 250] {
            let ours = WSOLAPitchShift.shifted(signal, cents: cents, sampleRate: 16_000)
            let libsox = try SoxEffects.pitchShifted(signal, cents: cents, sampleRate: 16_000)
            XCTAssertLessThan(maxDifference(ours, libsox, count: length), 1e-3, "\(cents) cents")
            XCTAssertGreaterThan(maxDifference(signal, libsox, count: length), 0.1, "the shift must matter for the comparison to mean something")
            XCTAssertGreaterThan(correlation(mel.logMel(ours), mel.logMel(libsox)), 0.999, "\(cents) cents")
        }
    }

    /// Tones, a chirp and noise, peak about 0.4.
    private func musicLike() -> [Float] {
        var generator = SeededGenerator(seed: 8)
        return (0..<length).map { i -> Float in
            let t = Double(i) / 16_000
            return Float(0.2 * sin(2 * .pi * 330 * t) + 0.1 * sin(2 * .pi * 990 * t) + 0.1 * sin(2 * .pi * (200 + 400 * t) * t))
                + 0.02 * generator.uniform(-1, 1)
        }
    }

    /// The largest |a[i] − b[i]| over the first `count` samples, relative to b's peak.
    private func maxDifference(_ a: [Float], _ b: [Float], count: Int) -> Float {
        let peak = b.prefix(count).map(abs).max() ?? 0
        return zip(a.prefix(count), b.prefix(count)).map { abs($0 - $1) }.max()! / peak
    }

    private func correlation(_ a: [Float], _ b: [Float]) -> Double {
        let n = Double(a.count)
        let meanA = a.reduce(0.0) { $0 + Double($1) } / n, meanB = b.reduce(0.0) { $0 + Double($1) } / n
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) {
            ab += (Double(x) - meanA) * (Double(y) - meanB)
            aa += (Double(x) - meanA) * (Double(x) - meanA)
            bb += (Double(y) - meanB) * (Double(y) - meanB)
        }
        return ab / (aa * bb).squareRoot()
    }
}
