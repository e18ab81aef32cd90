import Foundation
import XCTest
@testable import Features

/// The learned patch code: how patches are cut, how the codebook is learned, and the space that embeds codes.
final class PatchCodebookTests: XCTestCase {
    private let mel = MelSpectrogram(sampleRate: 16_000, excerptLength: 43_740)

    /// 8 band groups x 4 frames: patches small enough for a debug build's eigen-decomposition.
    private var smallSettings: PatchCodebook.LearnSettings {
        var settings = PatchCodebook.LearnSettings()
        settings.count = 8
        settings.iterations = 6
        settings.bandsPerGroup = 16
        settings.patchFrames = 4
        return settings
    }

    private func mels(_ excerpts: [[Float]]) -> [Float] { mel.decibelMelBatch(excerpts) }

    private func patchLength(_ settings: PatchCodebook.LearnSettings) -> Int {
        mel.bandCount / settings.bandsPerGroup * settings.patchFrames
    }

    private func noise(seed: UInt64, amplitude: Float = 0.3) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<43_740).map { _ in amplitude * generator.uniform(-1, 1) }
    }

    private func tone(_ frequency: Double) -> [Float] {
        (0..<43_740).map { 0.5 * Float(sin(2 * Double.pi * frequency * Double($0) / 16_000)) }
    }

    func testPatchesAreBandGroupMeansCutEveryHopLessTheirOwnLevel() {
        // 2 excerpts of 4 bands x 6 frames; value = 10 * band + frame (+ 100 in the second excerpt).
        var values: [Float] = []
        for e in 0..<2 { for b in 0..<4 { for t in 0..<6 { values.append(Float(100 * e + 10 * b + t)) } } }
        let patches = PatchCodebook.patches(decibelMels: values, excerpts: 2, bands: 4, frames: 6, bandsPerGroup: 2, patchFrames: 3,
                                            patchHop: 3)
        XCTAssertEqual(patches.count, 2 * 2 * 6, "two patches of 2 groups x 3 frames per excerpt")
        // First patch: groups (5 + t) and (25 + t) for t in 0..<3, less their mean 16.
        XCTAssertEqual(Array(patches[0..<6]), [-11, -10, -9, 9, 10, 11])
        XCTAssertEqual(Array(patches[18..<24]), [-11, -10, -9, 9, 10, 11], "each patch less its own level, the louder excerpt too")
        // Levels below the floor count as the floor.
        let quiet = PatchCodebook.patches(decibelMels: [Float](repeating: -120, count: 24), excerpts: 1, bands: 4, frames: 6,
                                          bandsPerGroup: 2, patchFrames: 3, patchHop: 3)
        XCTAssertEqual(quiet, [Float](repeating: 0, count: 12))
    }

    func testLearningIsRepeatableAndGivesUnitLengthEntries() throws {
        let settings = smallSettings
        let rows = (0..<4).flatMap { i in
            PatchCodebook.patches(decibelMels: mels([i % 2 == 0 ? tone(300 + 200 * Double(i)) : noise(seed: UInt64(i))]), excerpts: 1,
                                  bands: mel.bandCount, frames: mel.frameCount, bandsPerGroup: settings.bandsPerGroup,
                                  patchFrames: settings.patchFrames, patchHop: settings.patchHop)
        }
        let codebook = try PatchCodebook.learn(patches: rows, settings: settings, patchLength: patchLength(settings))
        XCTAssertEqual(codebook.count, 8)
        XCTAssertEqual(codebook.patchLength, 32)
        for k in 0..<codebook.count {
            let entry = codebook.centroids[(k * 32)..<((k + 1) * 32)]
            XCTAssertEqual(entry.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
        }
        XCTAssertEqual(try PatchCodebook.learn(patches: rows, settings: settings, patchLength: patchLength(settings)), codebook)
        XCTAssertThrowsError(try PatchCodebook.learn(patches: Array(rows.prefix(32 * 3)), settings: settings, patchLength: 32)) { error in
            XCTAssertTrue("\(error)".contains("at least as many patches"), "\(error)")
        }
    }

    func testCodesOfOneSoundLieTogetherWhateverItsLoudness() throws {
        let settings = smallSettings
        let tones = [tone(440), tone(440).map { 0.2 * $0 }, tone(1200)], noises = [noise(seed: 1), noise(seed: 2, amplitude: 0.1), noise(seed: 3)]
        let rows = (tones + noises).flatMap {
            PatchCodebook.patches(decibelMels: mels([$0]), excerpts: 1, bands: mel.bandCount, frames: mel.frameCount,
                                  bandsPerGroup: settings.bandsPerGroup, patchFrames: settings.patchFrames, patchHop: settings.patchHop)
        }
        let codebook = try PatchCodebook.learn(patches: rows, settings: settings, patchLength: patchLength(settings))
        let code = { (samples: [Float]) in codebook.code(decibelMels: self.mels([samples]), excerpts: 1, bands: self.mel.bandCount,
                                                          frames: self.mel.frameCount) }
        let distance = { (a: [Float], b: [Float]) in zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
        let toneCodes = tones.map(code), noiseCodes = noises.map(code)
        XCTAssertEqual(toneCodes[0].count, 8)
        XCTAssertTrue(toneCodes[0].allSatisfy { $0 >= 0 && $0.isFinite }, "log(mean + floor) - log(floor) is never negative")
        let within = max(distance(toneCodes[0], toneCodes[1]), distance(noiseCodes[0], noiseCodes[1]))
        let across = min(distance(toneCodes[0], noiseCodes[0]), distance(toneCodes[1], noiseCodes[1]))
        XCTAssertLessThan(within, across, "tones \(toneCodes) noises \(noiseCodes)")
    }

    func testASpaceWithACodeEmbedsTwoUnitBlocksAndReadsBack() throws {
        var generator = SeededGenerator(seed: 9)
        let count = 8
        let codebook = PatchCodebook(bandsPerGroup: 4, patchFrames: 8, patchHop: 4, threshold: 0.2, logFloor: 1e-3,
                                     mean: [Float](repeating: 0, count: 256), whitening: (0..<(256 * 256)).map { $0 / 256 == $0 % 256 ? 1 : 0 },
                                     centroids: (0..<(count * 256)).map { _ in generator.uniform(-1, 1) }, count: count)
        let sources = (0..<20).map { "source\($0 % 2)" }
        let descriptors = sources.indices.map { i in (0..<TrackDescriptor.dimension).map { _ in generator.uniform(-1, 1) + Float(i % 2) } }
        let codes = sources.indices.map { i in (0..<count).map { _ in generator.uniform(0, 1) + Float(i % 2) } }
        var settings = DescriptorSpace.FitSettings()
        settings.dimension = 4
        let space = try DescriptorSpace(fitting: descriptors, codes: codes, codebook: codebook, sources: sources, settings: settings)
        XCTAssertEqual(space.rawDimension, TrackDescriptor.dimension + count)
        XCTAssertEqual(space.embeddingDimension, 8)
        XCTAssertEqual(space.densityBlocks, [DensityBlock(range: 0..<4, weight: 1), DensityBlock(range: 4..<8, weight: PatchCodeSpace.densityWeight)])
        let embedded = space.embed(descriptors[0] + codes[0])
        XCTAssertEqual(embedded[0..<4].reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
        XCTAssertEqual(embedded[4..<8].reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
        XCTAssertEqual(space.background.count, 20)
        XCTAssertEqual(space.background[0], embedded)
        XCTAssertEqual(try JSONDecoder().decode(DescriptorSpace.self, from: JSONEncoder().encode(space)), space)
    }
}
