import Foundation
import TestSupport
import XCTest
@testable import Features

/// The track descriptor's statistics, the symmetric eigen-decomposition and the descriptor space, on generated signals.
final class TrackDescriptorTests: XCTestCase {
    private let mel = MelSpectrogram(sampleRate: 16_000, excerptLength: 43_740)

    private func descriptor(_ excerpts: [[Float]]) -> [Float] {
        TrackDescriptor.compute(decibelMels: mel.decibelMelBatch(excerpts), excerpts: excerpts.count, bands: mel.bandCount,
                                frames: mel.frameCount)
    }

    private func part(_ name: String, of d: [Float]) -> [Float] {
        var offset = 0
        for part in TrackDescriptor.parts {
            if part.name == name { return Array(d[offset..<(offset + part.count)]) }
            offset += part.count
        }
        XCTFail("no part \(name)")
        return []
    }

    /// Clicks every `period` samples (a 1 ms burst of decaying noise each), plus a little steady noise.
    private func clicks(period: Int, count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        var samples = (0..<count).map { _ in 0.001 * generator.uniform(-1, 1) }
        for start in stride(from: 0, to: count, by: period) {
            for i in 0..<min(160, count - start) { samples[start + i] += 0.8 * generator.uniform(-1, 1) * Float(1 - Double(i) / 160) }
        }
        return samples
    }

    func testLengthAndPartsAddUp() {
        XCTAssertEqual(TrackDescriptor.dimension, TrackDescriptor.parts.reduce(0) { $0 + $1.count })
        let d = descriptor([Signals.sine(frequency: 440, count: 43_740)])
        XCTAssertEqual(d.count, TrackDescriptor.dimension)
        XCTAssertTrue(d.allSatisfy(\.isFinite))
    }

    func testLoudnessAndBrightnessMoveTheirStatistics() {
        let quiet = descriptor([Signals.sine(frequency: 440, count: 43_740, amplitude: 0.05)])
        let loud = descriptor([Signals.sine(frequency: 440, count: 43_740, amplitude: 0.5)])
        let high = descriptor([Signals.sine(frequency: 4000, count: 43_740, amplitude: 0.5)])
        // c0 is the frame's mean level (orthonormal DCT: sqrt(bands) x mean dB); 20 dB louder raises every band up the floor.
        XCTAssertGreaterThan(part("mfcc_mean", of: loud)[0], part("mfcc_mean", of: quiet)[0] + 10)
        XCTAssertGreaterThan(part("centroid_mean", of: high)[0], part("centroid_mean", of: loud)[0] + 0.2)
    }

    func testAPulseShowsInThePeriodicityAtItsLag() {
        // 117 beats per minute: a click every 24 frames of 342 samples (0.51 s).
        let pulse = descriptor((0..<3).map { clicks(period: 24 * 342, count: 43_740, seed: UInt64($0)) })
        var generator = SeededGenerator(seed: 9)
        let noise = descriptor([(0..<43_740).map { _ in 0.3 * generator.uniform(-1, 1) }])
        XCTAssertGreaterThan(part("pulse_clarity", of: pulse)[0], 0.5)
        XCTAssertLessThan(part("pulse_clarity", of: noise)[0], 0.3)
        let bins = part("periodicity", of: pulse)
        let best = bins.indices.max { bins[$0] < bins[$1] }!
        // The bins are log-spaced over lags 6-64 (6-7, 8-10, 11-14, 15-19, 20-25, ...): lag 24 lies in bin 4.
        XCTAssertEqual(best, 4, "\(bins)")
        XCTAssertGreaterThan(part("onset_std", of: pulse)[0], 3 * part("onset_std", of: noise)[0], "clicks make a spiky onset envelope")
    }

    func testSymmetricEigenReconstructs() {
        let n = 5
        var generator = SeededGenerator(seed: 3)
        let b = (0..<(n * n)).map { _ in Double(generator.uniform(-1, 1)) }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += b[i * n + k] * b[j * n + k] } } }
        let (values, vectors) = SymmetricEigen.decompose(a, n: n)
        for k in 0..<n {
            for i in 0..<n {
                let av = (0..<n).reduce(0.0) { $0 + a[i * n + $1] * vectors[$1 * n + k] }
                XCTAssertEqual(av, values[k] * vectors[i * n + k], accuracy: 1e-9)
            }
            XCTAssertGreaterThanOrEqual(values[k], -1e-9, "a Gram matrix has no negative eigenvalue")
        }
    }

    /// Two sources that differ only in one value, with much larger variation inside each source in another.
    private func twoSources() -> (descriptors: [[Float]], sources: [String]) {
        var generator = SeededGenerator(seed: 5)
        var descriptors: [[Float]] = [], sources: [String] = []
        for source in 0..<2 {
            for _ in 0..<10 {
                var d = (0..<TrackDescriptor.dimension).map { _ in generator.uniform(-0.1, 0.1) }
                d[0] += Float(source) * 1.0
                d[1] += generator.uniform(-5, 5)
                descriptors.append(d)
                sources.append("source\(source)")
            }
        }
        return (descriptors, sources)
    }

    func testFittedSpaceSeparatesSourcesAndEmbedsToUnitLength() throws {
        let (descriptors, sources) = twoSources()
        var settings = DescriptorSpace.FitSettings()
        settings.dimension = 4
        let space = try DescriptorSpace(fitting: descriptors, sources: sources, settings: settings)
        XCTAssertEqual(space.outputDimension, 4)
        XCTAssertEqual(space.referenceTracks, 20)
        XCTAssertEqual(space.referenceSources, 2)
        let embedded = descriptors.map(space.embed)
        for e in embedded { XCTAssertEqual(e.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4) }
        // The leading direction tells the sources apart: every track of source 0 lies on one side, source 1 on the other.
        let first = embedded.map { $0[0] }
        let (low, high) = (first[0..<10], first[10..<20])
        XCTAssertTrue(low.max()! < high.min()! || high.max()! < low.min()!, "\(first)")
        XCTAssertEqual(space.background, embedded, "the reference tracks are kept, embedded, as music in general")
    }

    func testASpaceWrittenBeforeTheBackgroundStillLoads() throws {
        let (descriptors, sources) = twoSources()
        let space = try DescriptorSpace(fitting: descriptors, sources: sources)
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(space)) as? [String: Any])
        XCTAssertNotNil(json.removeValue(forKey: "background"))
        let old = try JSONDecoder().decode(DescriptorSpace.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(old.background, [])
        XCTAssertEqual(old.embed(descriptors[3]), space.embed(descriptors[3]))
    }

    func testFittingNeedsTwoSources() {
        let (descriptors, _) = twoSources()
        XCTAssertThrowsError(try DescriptorSpace(fitting: descriptors, sources: descriptors.map { _ in "one" })) { error in
            XCTAssertTrue("\(error)".contains("at least two sources"), "\(error)")
        }
    }

    func testBuiltInSpaceLoadsWithItsDocumentedSize() throws {
        let space = DescriptorSpace.builtIn
        XCTAssertGreaterThan(space.referenceTracks, 400, "the built-in space was fitted on the reference music")
        XCTAssertGreaterThan(space.referenceSources, 30)
        XCTAssertEqual(space.outputDimension, 32)
        let code = try XCTUnwrap(space.patchCode, "the built-in space has a learned patch code")
        XCTAssertEqual(code.codebook.count, 256)
        XCTAssertEqual(code.codebook.patchLength, 256, "32 band groups x 8 frames")
        XCTAssertEqual(code.outputDimension, 32)
        XCTAssertEqual(space.embeddingDimension, 64)
        XCTAssertEqual(space.background.count, space.referenceTracks)
        XCTAssertTrue(space.background.allSatisfy { $0.count == 64 })
        let excerpt = [Signals.sine(frequency: 440, count: 43_740)]
        let mels = mel.decibelMelBatch(excerpt)
        let raw = descriptor(excerpt) + code.codebook.code(decibelMels: mels, excerpts: 1, bands: mel.bandCount, frames: mel.frameCount)
        let e = space.embed(raw)
        XCTAssertEqual(e.count, 64)
        XCTAssertEqual(e[0..<32].reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
        XCTAssertEqual(e[32..<64].reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
        let decoded = try JSONDecoder().decode(DescriptorSpace.self, from: JSONEncoder().encode(space))
        XCTAssertEqual(decoded, space)
    }
}
