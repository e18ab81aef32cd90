import Foundation
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

    func testTimeStretchKeepsThePitchAndScalesTheLength() {
        let tone = Signals.sine(frequency: 523, count: length)
        for factor in [0.75, 1.33] {
            let stretched = WSOLAPitchShift.timeStretched(tone, factor: factor, sampleRate: 16_000)
            XCTAssertEqual(stretched.count, Int((Double(length) * factor).rounded(.up)))
            // Well-aligned joins keep a pure tone pure: its amplitude stays put and the frequency does not move.
            let range = 4000..<(stretched.count - 4000)
            XCTAssertEqual(Signals.zeroCrossingFrequency(stretched, range: range), 523, accuracy: 523 * 0.005)
            XCTAssertEqual(Signals.amplitude(of: 523, in: stretched, range: range), 0.5, accuracy: 0.05)
        }
    }

    func testTheMelImageMatchesLibsoxsPitchShift() throws {
        // Tones, a chirp and noise, as in music: the log-mel of our shift and of libsox's must agree closely,
        // which is what training sees.
        var generator = SeededGenerator(seed: 8)
        let signal = (0..<length).map { i -> Float in
            let t = Double(i) / 16_000
            return Float(0.2 * sin(2 * .pi * 330 * t) + 0.1 * sin(2 * .pi * 990 * t) + 0.1 * sin(2 * .pi * (200 + 400 * t) * t))
                + 0.02 * generator.uniform(-1, 1)
        }
        let mel = MelSpectrogram()
        for cents in [-400, 250] {
            let ours = mel.logMel(WSOLAPitchShift.shifted(signal, cents: cents, sampleRate: 16_000))
            let libsox = mel.logMel(try SoxEffects.pitchShifted(signal, cents: cents, sampleRate: 16_000))
            let unshifted = mel.logMel(signal)
            let agreement = correlation(ours, libsox)
            XCTAssertGreaterThan(agreement, 0.97, "\(cents) cents")
            XCTAssertGreaterThan(agreement, correlation(unshifted, libsox) + 0.05, "the shift must matter for the comparison to mean something")
        }
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
