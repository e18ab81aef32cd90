import Features
import Foundation
import LibraryScanner
import ModelTestSupport
import TestSupport
import XCTest
@testable import Model

final class MusicTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryDirectory()
    }

    private func track(_ name: String, seconds: Double, frequency: Double = 440, group: String? = nil) throws -> AudioTrack {
        try WAVFile.toneTrack(name, in: folder, seconds: seconds, frequency: frequency, group: group)
    }

    func testCacheDecodesOnceAndMissesWhenTheFileChanges() throws {
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let original = try track("a.wav", seconds: 2)
        XCTAssertFalse(cache.contains(original))
        let pcm = try cache.track(original)
        XCTAssertEqual(pcm.count, 32000, accuracy: 2)
        XCTAssertTrue(cache.contains(original))
        // Mono mixdown of (x, -x/2) is x/4: a 0.5 tone becomes 0.125.
        XCTAssertEqual(pcm.excerpt(from: 0, length: 16000).map(abs).max()!, 0.125, accuracy: 0.01)
        XCTAssertEqual(try PCMCache(folder: cache.folder, sampleRate: 16000).track(original).count, pcm.count)

        var touched = original
        touched.modificationTimeNs += 1
        XCTAssertFalse(cache.contains(touched))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache.folder).count, 1)
        _ = try cache.track(touched)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: cache.folder).count, 2)
    }

    func testReadingExcerptsLeavesNoCachePagesResident() throws {
        // Training reads excerpts all over a thousand tracks: what it read must not stay in the process (RSS).
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let audio = try track("long.wav", seconds: 60)
        let pcm = try cache.track(audio)
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<200 {
            let start = Int(generator.next() % UInt64(pcm.count - 3000))
            XCTAssertEqual(pcm.excerpt(from: start, length: 2731).count, 2731)
        }
        let resident = try residentKilobytes(ofMapping: cache.cacheFile(for: audio))
        XCTAssertLessThanOrEqual(resident, 16, "\(resident) kB of the cache file stayed mapped")
    }

    /// The Rss of this process's mapping of `file`, from /proc/self/smaps.
    private func residentKilobytes(ofMapping file: String) throws -> Int {
        // procfs files report size 0: read to the end rather than by size.
        let data = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/smaps")).readDataToEndOfFile()
        let smaps = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard let header = smaps.firstIndex(where: { $0.hasSuffix(file) }) else {
            XCTFail("\(file) is not mapped")
            return -1
        }
        let rss = smaps[(header + 1)...].first { $0.hasPrefix("Rss:") }!
        return Int(rss.split(separator: " ", omittingEmptySubsequences: true)[1])!
    }

    func testExcerptPastTheEndIsSilence() throws {
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let pcm = try cache.track(try track("short.wav", seconds: 1))
        let excerpt = pcm.excerpt(from: pcm.count - 10, length: 100)
        XCTAssertEqual(excerpt.count, 100)
        XCTAssertTrue(excerpt[20...].allSatisfy { $0 == 0 })
        XCTAssertTrue(excerpt[..<10].contains { $0 != 0 })
    }

    func testUndecodableTrackIsSkippedWithItsName() throws {
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let bad = folder.appendingPathComponent("broken.wav").path
        try Data("RIFF not really".utf8).write(to: URL(fileURLWithPath: bad))
        let good = try track("good.wav", seconds: 1)
        let result = MusicCollection.decode([AudioTrack(path: RawPath(bad), size: 15, modificationTimeNs: 1), good],
                                            cache: cache, threads: 2)
        XCTAssertEqual(result.tracks, [good])
        XCTAssertEqual(result.skipped.count, 1)
        XCTAssertTrue(result.skipped[0].description.contains("broken.wav"), result.skipped[0].description)
    }

    func testFixedItemsAreEvenlySpreadAndLimited() throws {
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let long = try cache.track(try track("long.wav", seconds: 10)), short = try cache.track(try track("short.wav", seconds: 1))
        let all = AudioExcerpts.fixedItems(pcm: [long, short], excerptLength: 16000, limit: 0)
        XCTAssertEqual(all.filter { $0.track == 0 }.map(\.start), (0..<10).map { $0 * 16000 })
        XCTAssertEqual(all.filter { $0.track == 1 }.map(\.start), [0])
        let limited = AudioExcerpts.fixedItems(pcm: [long, short], excerptLength: 16000, limit: 3)
        XCTAssertEqual(limited.filter { $0.track == 0 }.map(\.start), [0, 3 * 16000, 6 * 16000])
        XCTAssertEqual(AudioExcerpts.randomItems(trackCount: 2, perTrack: 3).count, 6)
    }

    func testAudioViewsAreMelImagesAndReproducible() throws {
        var config = RunConfig.musicPreset()
        config.duplicationFactor = 2
        let views = try AudioViewMaker(config: config)
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let pcm = try cache.track(try track("a.wav", seconds: 4))
        let source = AudioExcerpts(tracks: [try track("a.wav", seconds: 4)], pcm: [pcm],
                                   items: AudioExcerpts.randomItems(trackCount: 1, perTrack: 2), views: views, usesTwoCrops: true)
        XCTAssertEqual(source.shape, ItemShape(channels: 1, height: 128, width: 128))
        let a = ShiftMajorBatch.make(source: source, items: [0, 1], shifts: 2, generator: SeededGenerator(seed: 3))
        let b = ShiftMajorBatch.make(source: source, items: [0, 1], shifts: 2, generator: SeededGenerator(seed: 3))
        XCTAssertEqual(a.count, 8)
        XCTAssertEqual(a.input.count, 8 * 128 * 128)
        XCTAssertEqual(a.input, b.input)
        XCTAssertEqual(a.input.min(), 0)
        XCTAssertEqual(a.input.max(), 1)
    }

    func testCleanEvaluationSamplesAreTheShiftedMelImage() throws {
        let config = RunConfig.musicPreset()
        let views = try AudioViewMaker(config: config)
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let pcm = try cache.track(try track("c.wav", seconds: 4))
        let source = AudioExcerpts(tracks: [try track("c.wav", seconds: 4)], pcm: [pcm],
                                   items: AudioExcerpts.fixedItems(pcm: [pcm], excerptLength: views.excerptLength, limit: 1),
                                   views: views, usesTwoCrops: false)
        func sample(shift: Int, augmented: Bool, seed: UInt64) -> [Float] {
            var generator = SeededGenerator(seed: seed)
            return fill(source.shape, count: 1) { _, slot in
                source.writeEvaluationSample(of: 0, shift: shift, shifts: 2, augmented: augmented, generator: &generator, into: slot)
            }
        }
        for shift in 0..<2 {
            var generator = SeededGenerator(seed: 0)
            let expected = fill(source.shape, count: 1) { _, slot in
                views.write(pcm.excerpt(from: 0, length: views.excerptLength), shift: shift, augmented: false,
                            generator: &generator, into: slot)
            }
            XCTAssertEqual(sample(shift: shift, augmented: false, seed: 1), expected, "shift \(shift)")
            XCTAssertEqual(sample(shift: shift, augmented: false, seed: 2), expected, "shift \(shift)")
        }
        // Augmented samples differ between seeds (some seed draws at least one of the seven steps).
        let augmented = (1...8).map { sample(shift: 0, augmented: true, seed: $0) }
        XCTAssertTrue(augmented.contains { $0 != sample(shift: 0, augmented: false, seed: 0) })
    }

    func testCleanShiftedInputsAtOnceAreTheOneByOneSamples() throws {
        var config = RunConfig.musicPreset()
        config.duplicationFactor = 4
        let views = try AudioViewMaker(config: config)
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let pcm = try cache.track(try track("d.wav", seconds: 6, frequency: 700))
        let source = AudioExcerpts(tracks: [try track("d.wav", seconds: 6, frequency: 700)], pcm: [pcm],
                                   items: AudioExcerpts.fixedItems(pcm: [pcm], excerptLength: views.excerptLength, limit: 2),
                                   views: views, usesTwoCrops: false)
        XCTAssertTrue(source.cleanInputIsShiftZero)
        let generators = (0..<4).map { SeededGenerator(seed: UInt64($0)) }
        for item in 0..<source.count {
            let atOnce = fill(source.shape, items: 1, slotsPerItem: 4) { _, slots in
                source.writeCleanShiftedInputs(of: item, generators: generators, into: slots)
            }
            let oneByOne = fill(source.shape, count: 4) { shift, slot in
                var generator = generators[shift]
                source.writeEvaluationSample(of: item, shift: shift, shifts: 4, augmented: false, generator: &generator, into: slot)
            }
            XCTAssertEqual(atOnce, oneByOne, "item \(item)")
        }
        let clean = fill(source.shape, count: 1) { _, slot in source.writeCleanInput(of: 1, into: slot) }
        XCTAssertEqual(clean, Array(fill(source.shape, items: 1, slotsPerItem: 4) { _, slots in
            source.writeCleanShiftedInputs(of: 1, generators: generators, into: slots)
        }.prefix(clean.count)), "shift 0's clean input is the clean input")
    }

    func testTrainingItemsPerTrackOrPerEpoch() {
        let perTrack = AudioExcerpts.trainingItems(tracks: [4, 9], perTrack: 3, perEpoch: 0)
        XCTAssertEqual(perTrack.map(\.track), [4, 4, 4, 9, 9, 9])
        XCTAssertTrue(perTrack.allSatisfy { $0.start == nil }, "training excerpts start at random")
        let budget = AudioExcerpts.trainingItems(tracks: [1, 2, 3], perTrack: 3, perEpoch: 7)
        XCTAssertEqual(budget.count, 7)
        XCTAssertEqual(budget.filter { $0.track == 1 }.count, 3)
        XCTAssertEqual(budget.filter { $0.track == 2 }.count, 2)
        XCTAssertEqual(budget.filter { $0.track == 3 }.count, 2)
    }

    func testFlipShiftsMirrorTheMelImage() throws {
        var config = RunConfig.musicPreset()
        config.duplicationFactor = 4
        config.audioShift = .flip
        let views = try AudioViewMaker(config: config)
        let chirp = (0..<config.sampleLength).map { Float(sin(Double($0) * Double($0) * 1e-5)) * 0.5 }
        func image(_ shift: Int) -> [Float] {
            var out = [Float](repeating: 0, count: 128 * 128)
            var generator = SeededGenerator(seed: 1)
            out.withUnsafeMutableBufferPointer { views.write(chirp, shift: shift, augmented: false, generator: &generator, into: $0) }
            return out
        }
        let clean = image(0), frequency = image(1), time = image(2), both = image(3)
        XCTAssertNotEqual(clean, frequency)
        for (row, column) in [(0, 0), (5, 100), (127, 3), (64, 64)] {
            XCTAssertEqual(frequency[row * 128 + column], clean[(127 - row) * 128 + column])
            XCTAssertEqual(time[row * 128 + column], clean[row * 128 + 127 - column])
            XCTAssertEqual(both[row * 128 + column], clean[(127 - row) * 128 + 127 - column])
        }
        config.audioShift = .flipTime
        let timeFirst = try AudioViewMaker(config: config)
        var reversed = [Float](repeating: 0, count: 128 * 128)
        var generator = SeededGenerator(seed: 1)
        reversed.withUnsafeMutableBufferPointer { timeFirst.write(chirp, shift: 1, augmented: false, generator: &generator, into: $0) }
        XCTAssertEqual(reversed, time, "flip_time: k=1 reverses time")
    }

    func testSharedShiftAugmentationFlipsOneAugmentedImage() throws {
        let chirp = (0..<RunConfig.musicPreset().sampleLength).map { Float(sin(Double($0) * Double($0) * 1e-5)) * 0.5 }
        func views(shared: Bool, shift: RunConfig.AudioShiftKind = .flip) throws -> [[Float]] {
            var config = RunConfig.musicPreset()
            config.sharesShiftAugmentation = shared
            config.audioShift = shift
            let maker = try AudioViewMaker(config: config)
            var first = [Float](repeating: 0, count: 128 * 128), second = first
            var generator = SeededGenerator(seed: 7)
            first.withUnsafeMutableBufferPointer { a in
                second.withUnsafeMutableBufferPointer { b in maker.writeShiftedViews(chirp, generator: &generator, into: [a, b][...]) }
            }
            return [first, second]
        }
        let shared = try views(shared: true)
        for row in 0..<128 {
            XCTAssertEqual(Array(shared[1][(row * 128)..<((row + 1) * 128)]), Array(shared[0][((127 - row) * 128)..<((128 - row) * 128)]),
                           "row \(row): shift 1 is the frequency flip of shift 0")
        }
        let independent = try views(shared: false)
        XCTAssertNotEqual(independent[1], (0..<128).flatMap { row in independent[0][((127 - row) * 128)..<((128 - row) * 128)] },
                          "each copy augmented on its own")
        XCTAssertFalse(try AudioViewMaker(config: { var c = RunConfig.musicPreset(); c.sharesShiftAugmentation = true; c.audioShift = .noise; return c }())
            .sharesShiftAugmentation, "noise shifts act on the audio: nothing to share")
    }

    func testSpectralPitchShiftIsAShiftedMelImageOfTheSameAudio() throws {
        var config = RunConfig.musicPreset()
        config.pitchShift = .spectral
        config.audioAugmentations = [.pitch]
        config.sharesShiftAugmentation = true
        let maker = try AudioViewMaker(config: config)
        let tone = (0..<config.sampleLength).map { Float(sin(2 * Double.pi * 880 * Double($0) / 16_000)) * 0.5 }
        var shiftedViews = 0
        for seed in 0..<12 {
            var view = [Float](repeating: 0, count: 128 * 128), unused = view
            var generator = SeededGenerator(seed: UInt64(seed))
            view.withUnsafeMutableBufferPointer { a in
                unused.withUnsafeMutableBufferPointer { b in maker.writeShiftedViews(tone, generator: &generator, into: [a, b][...]) }
            }
            // The same draws, taken by hand: the pitch step's probability, then its cents.
            var replay = SeededGenerator(seed: UInt64(seed))
            var samples = tone
            let spectral = try maker.augmentation.apply(to: &samples, using: &replay)
            XCTAssertEqual(samples, tone, "a spectral pitch shift leaves the audio alone")
            XCTAssertEqual(view, maker.mel.logMel(tone, pitchCents: spectral.pitchCents), "seed \(seed)")
            if spectral.pitchCents != 0 { shiftedViews += 1 }
        }
        XCTAssertGreaterThan(shiftedViews, 0, "p = 0.4 over 12 seeds shifts some views")
    }

    func testMelSizeMismatchNamesTheKey() {
        var config = RunConfig.musicPreset()
        config.inputImageSize = [64, 64]
        XCTAssertThrowsError(try AudioViewMaker(config: config)) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "input_img_size")
            XCTAssertTrue("\(error)".contains("[128, 128]"), "\(error)")
        }
    }

    func testMusicPresetMatchesConfigsCustomJSON() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Configs/custom.json")
        let fromFile = try RunConfig.load(contentsOf: file, purpose: .inspection)
        var preset = RunConfig.musicPreset()
        preset.dataPath = fromFile.dataPath
        XCTAssertEqual(fromFile.json(), preset.json())
        XCTAssertFalse(preset.evalAugment, "music scores clean excerpts")
    }
}
