import Foundation
import LibraryScanner
import Model
import ModelTestSupport
import TestSupport
import XCTest
@testable import Benchmarks

/// The MagnaTagATune split and the music experiment on it, over `MTTFixture`'s miniature folder.
final class MTTBenchmarkTests: XCTestCase {
    func testOneClassSplitTestsTheClassAgainstEveryOtherClassesTestClips() throws {
        let folder = try makeTemporaryDirectory()
        _ = try MTTFixture.write(to: folder, missing: ["1000"])
        let subset = try MTTSubset.load(folder: folder.path)

        let rock = subset.split(inClass: .rock, validationFraction: 0.1, seed: 7)
        XCTAssertEqual(rock.train.count, 10)
        XCTAssertEqual(rock.validation.count, 1)
        XCTAssertEqual(Set(rock.train + rock.validation), Set(subset.train[.rock]!.map { subset.tracks[$0.mp3Path]! }))
        XCTAssertEqual(rock.test.count, 6)
        XCTAssertEqual(rock.testIsInClass, [true, false, false, false, false, false])
        XCTAssertEqual(rock.test.map { $0.group! }, ["rock", "classical", "techno", "indian", "pop", "pop"])
        XCTAssertEqual(rock.test[0].title, subset.test[.rock]![0].clipID)

        let classical = subset.split(inClass: .classical, validationFraction: 0.1, seed: 7)
        XCTAssertEqual(classical.train.count + classical.validation.count, 9, "the clip without a file is left out")
        XCTAssertEqual(classical.testIsInClass.filter { $0 }.count, 1)
        XCTAssertEqual(classical.test.count, 6)
        XCTAssertEqual(subset.split(inClass: .pop, validationFraction: 0, seed: 7).train.count, 19)
    }

    func testFixtureClipsDecodeThroughTheCache() throws {
        let folder = try makeTemporaryDirectory()
        _ = try MTTFixture.write(to: folder, seconds: 0.5)
        let subset = try MTTSubset.load(folder: folder.path)
        let split = subset.split(inClass: .indian, validationFraction: 0.1, seed: 1)
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let decoded = MusicCollection.decode(split.test, cache: cache, threads: 2)
        XCTAssertEqual(decoded.skipped.count, 0)
        XCTAssertEqual(decoded.tracks, split.test)
        XCTAssertEqual(decoded.pcm.map(\.count), Array(repeating: 8000, count: 6))
    }

    func testMusicExperimentRunsOnAnMTTSplit() throws {
        let folder = try makeTemporaryDirectory()
        _ = try MTTFixture.write(to: folder, seconds: 3)
        let subset = try MTTSubset.load(folder: folder.path)
        var config = RunConfig.tinyMusic
        config.datasetName = .mtt
        config.tasteScore = .csi
        config.excerptsPerTrack = 1
        config.maxExcerptsPerTrack = 0
        config.logDirectory = folder.appendingPathComponent("run").path
        let split = subset.split(inClass: .techno, validationFraction: 0.2, seed: 1)
        let experiment = MusicExperiment(config: config, split: split,
                                         cache: try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000),
                                         label: MTTClass.techno.name)
        let report = try experiment.run(log: try TrainingLog(directory: config.effectiveLogDirectory, config: config)) { _ in }
        XCTAssertEqual(report.dataset, "mtt")
        XCTAssertEqual(report.liked, "techno")
        XCTAssertEqual(report.trainTracks + report.validationTracks, 9)
        XCTAssertEqual(report.heldOutTracks, 1)
        XCTAssertEqual(report.outlierTracks, ["classical": 1, "rock": 1, "indian": 1, "pop": 2])
        XCTAssertEqual(report.perGroup.keys.sorted(), ["classical", "indian", "pop", "rock"])
        XCTAssertEqual(report.overall.outliers, 5)
        assertIsAUROC(report.overall.track.csi, "track csi")
        XCTAssertEqual(report.overall.track.ranked, report.overall.track.csi, "ranked by CSI alone")
        assertIsAUROC(report.overall.excerpt.norm, "excerpt norm")
    }
}

extension MTTBenchmarkTests {
    func testSummaryNamesWhatWasSkippedAndCountsEachGenre() throws {
        let folder = try makeTemporaryDirectory()
        let rows = try MTTFixture.write(to: folder, missing: ["1000"])
        let subset = try MTTSubset.load(folder: folder.path)
        let lines = MTTBenchmark.summary(of: subset)
        XCTAssertEqual(subset.annotations.problems.count, 2, "the fixture's two malformed rows")
        XCTAssertEqual(Array(lines.prefix(2)), subset.annotations.problems.map { "\($0)" })
        XCTAssertEqual(lines[2], "skipped \(subset.skipped[0])")
        XCTAssertTrue(lines[2].contains(rows[0].mp3Path), lines[2])
        XCTAssertEqual(lines.last, "MagnaTagATune subset (train/test clips): classical 10/1, techno 9/1, rock 11/1, indian 9/1, pop 19/2; "
                       + "1 clips with two classes and 1 with none dropped")
        XCTAssertEqual(lines.count, 4)
    }

    func testAMissingFolderIsABenchmarkErrorNamingTheLayout() throws {
        var config = RunConfig.musicPreset()
        config.dataPath = try makeTemporaryDirectory().appendingPathComponent("absent").path
        XCTAssertThrowsError(try MTTBenchmark.run(config: config, cacheFolder: try makeTemporaryDirectory().path) { _ in }) { error in
            XCTAssertTrue(error is BenchmarkError, "\(error)")
            XCTAssertTrue("\(error)".contains("annotations_final.csv"), "\(error)")
        }
    }
}
