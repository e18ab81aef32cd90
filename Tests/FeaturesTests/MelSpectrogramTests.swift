import Foundation
import TestSupport
import XCTest
@testable import Features

final class MelSpectrogramTests: XCTestCase {
    static let transform = MelSpectrogram()

    /// The band whose HTK triangle weighs `frequency` most, computed from the formula rather than the code.
    private func expectedBand(of frequency: Double, bands: Int = 128, sampleRate: Double = 16_000) -> Int {
        let mel = { (f: Double) in 2595 * log10(1 + f / 700) }
        let hertz = { (m: Double) in 700 * (pow(10, m / 2595) - 1) }
        let step = mel(sampleRate / 2) / Double(bands + 1)
        let edges = (0..<(bands + 2)).map { hertz(Double($0) * step) }
        let weights = (0..<bands).map { m in
            max(0, min((frequency - edges[m]) / (edges[m + 1] - edges[m]), (edges[m + 2] - frequency) / (edges[m + 2] - edges[m + 1])))
        }
        return weights.indices.max { weights[$0] < weights[$1] }!
    }

    func testShapeIs128By128ForDefaultExcerpt() {
        let t = Self.transform
        XCTAssertEqual(t.hopLength, 342)
        XCTAssertEqual(t.frameCount, 128)
        XCTAssertEqual(t.bandCount, 128)
        XCTAssertEqual(t.logMel(Signals.sine(frequency: 440, count: 43_740)).count, 128 * 128)
    }

    func testHopAndFrameCountForAnotherLength() {
        let t = MelSpectrogram(excerptLength: 16_000)
        XCTAssertEqual(t.hopLength, 125)  // (16000 - 1) / 128 + 1
        XCTAssertEqual(t.frameCount, 129)  // 1 + 16000 / 125
        XCTAssertEqual(t.logMel(Signals.sine(frequency: 440, count: 16_000)).count, 128 * 129)
    }

    func testPureTonePeaksInItsHTKBand() {
        let t = Self.transform
        for frequency in [220.0, 440.0, 1234.0, 3000.0, 6100.0] {
            let image = t.logMel(Signals.sine(frequency: frequency, count: t.excerptLength))
            let frame = t.frameCount / 2
            let column = (0..<t.bandCount).map { image[$0 * t.frameCount + frame] }
            let peak = column.indices.max { column[$0] < column[$1] }!
            XCTAssertEqual(peak, expectedBand(of: frequency), "tone \(frequency) Hz")
        }
    }

    private func peakBand(_ image: [Float], of t: MelSpectrogram) -> Int {
        let column = (0..<t.bandCount).map { image[$0 * t.frameCount + t.frameCount / 2] }
        return column.indices.max { column[$0] < column[$1] }!
    }

    func testSpectralPitchShiftMovesAToneByTheRatio() {
        let t = Self.transform
        for (frequency, cents) in [(440.0, 500), (1234.0, -500), (3000.0, 300), (220.0, 1200)] {
            let tone = Signals.sine(frequency: frequency, count: t.excerptLength)
            let shifted = t.logMel(tone, pitchCents: cents)
            let target = frequency * pow(2, Double(cents) / 1200)
            XCTAssertEqual(peakBand(shifted, of: t), expectedBand(of: target), "\(frequency) Hz by \(cents) cents")
            XCTAssertEqual(shifted.count, t.valuesPerExcerpt)
            XCTAssertEqual(shifted.max() ?? 0, 1, accuracy: 1e-6)
        }
        let tone = Signals.sine(frequency: 700, count: t.excerptLength)
        XCTAssertEqual(t.logMel(tone, pitchCents: 0), t.logMel(tone))
    }

    func testUnscaledFilterbankIsTheTriangleAtEveryBin() {
        // The scaled builder only visits bins near each band; at scale 1 it must find every nonzero weight.
        let bank = MelFilterbank(bandCount: 128, fftSize: 2048, sampleRate: 16_000)
        let edges = MelFilterbank.bandEdges(bandCount: 128, minFrequency: 0, maxFrequency: 8000)
        let dense = bank.denseMatrix()
        for k in stride(from: 0, to: 1025, by: 7) {
            let f = Double(Float(8000 * Double(k) / 1024))
            for m in 0..<128 {
                let weight = max(0, min((f - edges[m]) / (edges[m + 1] - edges[m]), (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1])))
                XCTAssertEqual(dense[k * 128 + m], Float(weight), accuracy: 1e-6, "bin \(k) band \(m)")
            }
        }
    }

    func testPitchDownLeavesTheTopBandsEmpty() {
        // Shifting down by a fifth moves Nyquist to 2/3 of it: bands above hold nothing, as after resampling.
        let bank = MelFilterbank(bandCount: 128, fftSize: 2048, sampleRate: 16_000, frequencyScale: pow(2, -700.0 / 1200))
        let dense = bank.denseMatrix()
        let lowestEmpty = MelFilterbank.bandEdges(bandCount: 128, minFrequency: 0, maxFrequency: 8000)
            .firstIndex { $0 > 8000 * pow(2, -700.0 / 1200) }!
        for m in lowestEmpty..<128 { XCTAssertTrue((0..<1025).allSatisfy { dense[$0 * 128 + m] == 0 }, "band \(m)") }
        XCTAssertTrue((0..<1025).contains { dense[$0 * 128 + lowestEmpty - 3] > 0 })
    }

    func testOutputSpansZeroToOne() {
        var generator = SeededGenerator(seed: 3)
        let noise = (0..<43_740).map { _ in generator.uniform(-0.5, 0.5) }
        let image = Self.transform.logMel(Signals.sum(noise, Signals.sine(frequency: 700, count: 43_740)))
        XCTAssertEqual(image.min(), 0)
        XCTAssertEqual(image.max(), 1)
        XCTAssertTrue(image.allSatisfy { (0...1).contains($0) })
    }

    func testSilenceGivesZerosNotNaN() {
        let image = Self.transform.logMel([Float](repeating: 0, count: 43_740))
        XCTAssertTrue(image.allSatisfy { $0 == 0 })
    }

    /// Cells of the same signal computed by a NumPy transcription of torchaudio's MelSpectrogram (float64).
    func testMatchesTorchaudioReference() {
        let n = 0..<43_740
        let signal = n.map { i -> Float in
            let t = Double(i)
            return Float(0.5 * sin(2 * .pi * 440 * t / 16_000) + 0.25 * sin(2 * .pi * 3000 * t / 16_000) + 0.1 * sin(0.0001 * t * t / 100))
        }
        let image = Self.transform.logMel(signal)
        let reference: [(band: Int, frame: Int, value: Float)] = [
            (85, 1, 0.768518), (3, 43, 0.474668), (1, 2, 0.266500), (24, 78, 1.000000),
            (14, 127, 0.599791), (12, 2, 0.198762), (2, 13, 0.427649), (26, 50, 0.061756),
        ]
        for cell in reference {
            XCTAssertEqual(image[cell.band * 128 + cell.frame], cell.value, accuracy: 2e-4, "band \(cell.band) frame \(cell.frame)")
        }
    }

    func testTrackIsCutIntoNormalisedExcerpts() {
        let t = Self.transform
        let quiet = Signals.sine(frequency: 300, count: t.excerptLength, amplitude: 0.01)
        let loud = Signals.sine(frequency: 300, count: t.excerptLength, amplitude: 0.9)
        let track = quiet + loud + Array(repeating: 0.1, count: 1000)  // remainder dropped
        let images = t.logMels(track: track, workers: 2)
        XCTAssertEqual(images.count, 2)
        // Per-excerpt normalisation: both excerpts span [0, 1] and equal their one-by-one transforms.
        XCTAssertEqual(images[0], t.logMel(quiet))
        XCTAssertEqual(images[1], t.logMel(loud))
        XCTAssertEqual(images[0].max(), 1)
    }

    func testShortTrackGivesOnePaddedExcerpt() {
        let t = Self.transform
        let short = Signals.sine(frequency: 300, count: 20_000)
        let images = t.logMels(track: short)
        XCTAssertEqual(images.count, 1)
        XCTAssertEqual(images[0], t.logMel(short + Array(repeating: 0, count: t.excerptLength - 20_000)))
        XCTAssertEqual(t.logMels(track: []), [Array(repeating: 0, count: t.valuesPerExcerpt)])
    }

    func testBatchMatchesSingleAndIsThreadCountIndependent() {
        let t = Self.transform
        let excerpts = (0..<5).map { Signals.sine(frequency: 200 + 300 * Double($0), count: t.excerptLength) }
        let serial = t.logMelBatch(excerpts, workers: 1)
        XCTAssertEqual(t.logMelBatch(excerpts, workers: 2), serial)
        XCTAssertEqual(t.logMels(excerpts)[3], t.logMel(excerpts[3]))
        XCTAssertEqual(serial.count, 5 * t.valuesPerExcerpt)
        XCTAssertEqual(t.logMelBatch([]), [])
    }

    func testFilterbankMatchesHTKFormula() {
        let bank = MelFilterbank(bandCount: 128, fftSize: 2048, sampleRate: 16_000)
        XCTAssertEqual(MelFilterbank.mel(ofHertz: 1000), 999.99, accuracy: 0.01)
        XCTAssertEqual(MelFilterbank.hertz(ofMel: MelFilterbank.mel(ofHertz: 3210)), 3210, accuracy: 1e-9)
        let dense = bank.denseMatrix()
        XCTAssertEqual(dense.count, 1025 * 128)
        XCTAssertTrue(dense.allSatisfy { (0...1).contains($0) })
    }
}

final class FastLogTests: XCTestCase {
    func testLog1pMatchesTheLibraryOverThePowerRange() {
        // Power-spectrum values: zero, denormal-small, tiny (where 1 + x rounds), and up to very loud.
        var values: [Float] = [0, 1e-30, 1e-12, 3e-8, 1e-7, 5e-4, 0.5, 0.70710677, 1, 1.5, 2, 1e3, 1e6, 3e9, 1e20]
        var generator = SeededGenerator(seed: 4)
        for _ in 0..<4000 { values.append(Float(pow(10, Double(generator.uniform(-9, 9))))) }
        while values.count % 8 != 0 { values.append(0.25) }
        var worst: Double = 0
        for start in stride(from: 0, to: values.count, by: 8) {
            let input = SIMD8<Float>(values[start..<(start + 8)])
            let fast = FastLog.log1p(input)
            for lane in 0..<8 {
                let exact = Foundation.log1p(Double(input[lane]))
                let error = abs(Double(fast[lane]) - exact) / max(exact, Double(Float.leastNormalMagnitude))
                worst = max(worst, error)
            }
        }
        XCTAssertLessThan(worst, 4e-7, "relative error")
        XCTAssertEqual(FastLog.log1p(SIMD8<Float>(repeating: 0)), SIMD8<Float>(repeating: 0))
    }
}
