import Features
import Foundation
import LibraryScanner
import Model
import ModelTestSupport
import TestSupport
import XCTest
@testable import Benchmarks

/// The music experiments: splits, grouped AUROCs, single runs and series on tones, and the augmentation benchmark.
final class MusicExperimentTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryDirectory() }

    private func track(_ name: String, seconds: Double, frequency: Double = 440, group: String? = nil) throws -> AudioTrack {
        try WAVFile.toneTrack(name, in: folder, seconds: seconds, frequency: frequency, group: group)
    }

    func testAugmentationBenchmarkTimesEveryStep() throws {
        var config = RunConfig.musicPreset()
        config.pitchShift = .spectral
        let report = try AugmentationBenchmark.run(config: config, excerpts: 2)
        XCTAssertEqual(Set(report.stepMilliseconds.keys), Set(AudioAugmentation.Step.allCases.map(\.rawValue)))
        XCTAssertEqual(report.pitchShift, "spectral")
        XCTAssertEqual(report.excerptSeconds, Double(config.sampleLength) / 16_000, accuracy: 1e-9)
    }

    func testHeldOutSplitIsByTrack() {
        let liked = (0..<10).map { AudioTrack(path: RawPath("/l/\($0)"), size: 1, modificationTimeNs: 1, group: "liked") }
        let others = (0..<4).map { AudioTrack(path: RawPath("/o/\($0)"), size: 1, modificationTimeNs: 1, group: "other") }
        let split = MusicSplit.heldOut(liked: liked, others: others, trainFraction: 0.7, validationFraction: 0.2, seed: 1)
        XCTAssertEqual(split.train.count + split.validation.count, 7)
        XCTAssertEqual(split.validation.count, 1)
        XCTAssertEqual(split.test.count, 3 + 4)
        XCTAssertEqual(split.testIsInClass.filter { $0 }.count, 3)
        XCTAssertEqual(Set(split.train + split.validation + split.test).count, 14)
        XCTAssertEqual(MusicSplit.heldOut(liked: liked, others: others, trainFraction: 0.7, validationFraction: 0.2, seed: 1).test,
                       split.test)
    }

    func testGroupedAUROCPerExcerptAndPerTrack() {
        // Track 0 in class (excerpts 0.9, 0.1 -> mean 0.5); track 1 "rock" (0.4); track 2 "pop" (0.8, 0.6 -> 0.7).
        let evaluation = GroupedAUROC(trackOfItem: [0, 0, 1, 2, 2], isInClass: [true, false, false],
                                      groups: ["liked", "rock", "pop"],
                                      scores: ItemScores(norm: [0.9, 0.1, 0.4, 0.8, 0.6], csi: [0.9, 0.1, 0.4, 0.8, 0.6]))
        let rock = evaluation.auroc(against: "rock")
        XCTAssertEqual(rock.outliers, 1)
        XCTAssertEqual(rock.track.csi, 1.0)          // 0.5 > 0.4
        XCTAssertEqual(rock.excerpt.csi, 0.5)        // 0.9 beats 0.4, 0.1 does not
        let all = evaluation.auroc(against: nil)
        XCTAssertEqual(all.outliers, 2)
        XCTAssertEqual(all.track.norm, 0.5)          // 0.5 vs {0.4, 0.7}
        XCTAssertEqual(all.excerpt.norm!, 3.0 / 6.0, accuracy: 1e-12)  // 0.9 beats all three, 0.1 none
    }

    /// Six liked tones and two high outliers, split as the genres benchmark does (seed 2, or `resplit`'s seed).
    private func toneExperiment(config: RunConfig) throws -> (experiment: MusicExperiment, resplit: @Sendable (Int) -> MusicSplit) {
        let liked = try (0..<6).map { try track("tone\($0).wav", seconds: 6, frequency: 300 + 50 * Double($0), group: "tones") }
        let others = try (0..<2).map { try track("high\($0).wav", seconds: 6, frequency: 5000, group: "high") }
        let resplit: @Sendable (Int) -> MusicSplit = { seed in
            MusicSplit.heldOut(liked: liked, others: others, trainFraction: 0.7, validationFraction: 0.25, seed: UInt64(seed))
        }
        let experiment = MusicExperiment(config: config, split: resplit(2),
                               cache: try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000),
                               label: "tones")
        return (experiment, resplit)
    }

    func testMusicSeriesRunsEverySeedOnOneSplit() throws {
        var config = RunConfig.tinyMusic
        config.logDirectory = folder.appendingPathComponent("series").path
        config.seed = 40
        let experiment = try toneExperiment(config: config).experiment
        let series = try MusicSeries(experiment: experiment, runs: 2).run { _ in }
        XCTAssertEqual(series.seeds, [40, 41])
        XCTAssertFalse(series.variesSplit)
        XCTAssertEqual(series.runs[0].heldOutFiles, series.runs[1].heldOutFiles)
        XCTAssertEqual(series.runs.map(\.heldOutTracks), [2, 2])
        XCTAssertEqual(series.runs.map(\.outlierTracks), [["high": 2], ["high": 2]])
        for seed in series.seeds {
            let log = folder.appendingPathComponent("series/seed-\(seed)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: log.appendingPathComponent("excerpt-scores.csv").path), "seed \(seed)")
            XCTAssertTrue(series.runs.contains { ($0.checkpoint ?? "").hasPrefix(log.path) }, "seed \(seed)'s checkpoint is in its own folder")
        }
        let overall = series.runs.compactMap(\.overall.track.ranked)
        XCTAssertEqual(overall.count, 2)
        XCTAssertEqual(series.trackAUROC["overall"]?.mean ?? .nan, (overall[0] + overall[1]) / 2, accuracy: 1e-12)
        XCTAssertEqual(series.trackAUROC["overall"]?.min, overall.min())
        XCTAssertEqual(series.trackAUROC["high"]?.max, series.runs.compactMap { $0.perGroup["high"]?.track.ranked }.max())
    }

    func testMusicSeriesOnSeveralSplitsHoldsOutEachSeedsTracks() throws {
        var config = RunConfig.tinyMusic
        config.logDirectory = folder.appendingPathComponent("splits").path
        config.seed = 40
        let (experiment, resplit) = try toneExperiment(config: config)
        let series = try MusicSeries(experiment: experiment, runs: 3, resplit: resplit).run { _ in }
        XCTAssertEqual(series.seeds, [40, 41, 42])
        XCTAssertTrue(series.variesSplit)
        for (run, seed) in zip(series.runs, series.seeds) {
            let expected = resplit(seed)
            XCTAssertEqual(run.heldOutFiles, zip(expected.test, expected.testIsInClass).filter(\.1).map(\.0.path.displayString))
            XCTAssertEqual(run.heldOutTracks, 2)
            XCTAssertEqual(run.trainTracks + run.validationTracks, 4)
        }
        XCTAssertGreaterThan(Set(series.runs.map(\.heldOutFiles)).count, 1, "the seeds hold out different tracks")
    }

    func testMusicExperimentTrainsAndReportsEveryGroup() throws {
        var config = RunConfig.tinyMusic
        config.logDirectory = folder.appendingPathComponent("run").path
        let experiment = try toneExperiment(config: config).experiment
        let report = try experiment.run(log: try TrainingLog(directory: config.effectiveLogDirectory, config: config)) { _ in }
        XCTAssertEqual(report.trainTracks + report.validationTracks, 4)
        XCTAssertEqual(report.heldOutTracks, 2)
        XCTAssertEqual(report.outlierTracks, ["high": 2])
        XCTAssertEqual(report.perGroup.keys.sorted(), ["high"])
        assertIsAUROC(report.overall.track.csi, "track csi")
        XCTAssertEqual(report.rankedBy, "blend")
        assertIsAUROC(report.overall.track.ranked, "track ranked")
        assertIsAUROC(report.overall.track.descriptor, "track descriptor")
        assertIsAUROC(report.overall.track.nearestLikedTrack, "track nearest liked")
        XCTAssertEqual(report.trainFiles.count, report.trainTracks + report.validationTracks)
        XCTAssertTrue(FileManager.default.fileExists(atPath: try XCTUnwrap(report.checkpoint)))
        XCTAssertNotNil(report.modelOnlyItemsPerSecond, "the model-only probe watched the training run")
        XCTAssertNotNil(report.loopEfficiency)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("run/train.log").path))
        // One row per scored excerpt, every test track present, in-class flags as split.
        let rows = try String(contentsOf: folder.appendingPathComponent("run/excerpt-scores.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(Set(rows.map { $0[0] }).count, 4)
        XCTAssertEqual(rows.filter { $0[2] == "1" }.map { $0[1] }.allSatisfy { $0 == "tones" }, true)
        XCTAssertEqual(Set(rows.filter { $0[2] == "0" }.map { $0[1] }), ["high"])
        XCTAssertTrue(rows.allSatisfy { Double($0[3]) != nil })
    }

    func testPrecisionAtTenAndTheRankedColumn() {
        // 12 tracks: 4 in class; the ranked score puts 3 of them among the top 10.
        let isIn = [true, true, true, true] + [Bool](repeating: false, count: 8)
        let ranked: [Double] = [0.9, 0.8, 0.7, 0.0, 0.6, 0.5, 0.4, 0.35, 0.3, 0.25, 0.2, 0.1]
        var evaluation = GroupedAUROC(trackOfItem: [], isInClass: isIn, groups: isIn.map { $0 ? "liked" : "other" },
                                      scores: ItemScores(norm: [], csi: []))
        evaluation.trackScores = ["ranked": ranked]
        let all = evaluation.auroc(against: nil)
        XCTAssertEqual(all.precisionAt10 ?? .nan, 0.3, accuracy: 1e-12)
        XCTAssertEqual(all.track.ranked ?? .nan, 24.0 / 32.0, accuracy: 1e-12, "3 of 4 liked beat all 8 others, one beats none")
        XCTAssertNil(all.track.csi, "no network, no CSI AUROC")
        XCTAssertEqual(AUROC.precision(at: 2, scores: [0.1, 0.9, 0.5], isPositive: [true, true, false]), 0.5)
    }

    func testDislikesComeFromTheOutliersAndLeaveTheTest() {
        let liked = (0..<10).map { AudioTrack(path: RawPath("/l/\($0)"), size: 1, modificationTimeNs: 1, group: "liked") }
        let others = (0..<8).map { AudioTrack(path: RawPath("/o/\($0)"), size: 1, modificationTimeNs: 1, group: "other") }
        let split = MusicSplit.heldOut(liked: liked, others: others, trainFraction: 0.7, validationFraction: 0.2, seed: 4)
        let disliking = split.withDislikes(3, seed: 4)
        XCTAssertEqual(disliking.disliked.count, 3)
        XCTAssertTrue(disliking.disliked.allSatisfy { $0.group == "other" })
        XCTAssertEqual(disliking.test.count, split.test.count - 3)
        XCTAssertTrue(Set(disliking.test).isDisjoint(with: disliking.disliked))
        XCTAssertEqual(disliking.testIsInClass.filter { $0 }.count, split.testIsInClass.filter { $0 }.count)
        XCTAssertEqual(split.withDislikes(3, seed: 4).disliked, disliking.disliked, "seeded")
        XCTAssertTrue(split.withDislikes(0, seed: 4).disliked.isEmpty)
    }
}
