import Foundation
import LibraryScanner
import Model
import ModelTestSupport
import TestSupport
import XCTest
@testable import Scoring

/// Scoring with a tiny model trained on tones: ranking, fit, reasons and the score cache.
final class TasteScoringTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryDirectory()
        for sub in ["liked", "new"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
    }

    private func writeTone(_ name: String, frequency: Double, seconds: Double = 4) throws {
        let samples = Signals.tone(frequency: frequency, seconds: seconds, sampleRate: 22050)
        try WAVFile.write(channels: [samples], sampleRate: 22050, to: folder.appendingPathComponent(name).path)
    }

    /// Trains a model on the liked folder into `name` and loads it for scoring.
    private func trainModel(_ name: String, seed: Int, scoreCheckpoint: RunConfig.ScoreCheckpoint = .best) throws -> TasteModel {
        var config = RunConfig.tinyMusic
        config.seed = seed
        config.scoreCheckpoint = scoreCheckpoint
        return try trainModel(name, config: config)
    }

    private func trainModel(_ name: String, config: RunConfig) throws -> TasteModel {
        let modelFolder = folder.appendingPathComponent(name)
        let catalog = try TrackCatalog(path: folder.appendingPathComponent("library.sqlite").path)
        let (tracks, _) = try MusicCollection.scanned([RawPath(folder.appendingPathComponent("liked").path)], catalog: catalog)
        let training = TasteTraining(config: config, tracks: tracks, cache: try PCMCache(folder: folder.appendingPathComponent("pcm").path, sampleRate: 16000),
                                     folder: modelFolder)
        _ = try training.run(log: try TrainingLog(directory: modelFolder.path, config: config), say: { _ in })
        return try TasteModel.load(from: modelFolder)
    }

    /// Scans the new folder and scores it.
    private func scoreNew(with model: TasteModel) throws -> TasteScoring.Outcome {
        let database = folder.appendingPathComponent("library.sqlite").path
        let catalog = try TrackCatalog(path: database)
        let newFolder = RawPath(folder.appendingPathComponent("new").path)
        _ = try LibraryScan().scan(folders: [newFolder], catalog: catalog)
        let scoring = TasteScoring(model: model, cache: try ScoreCache(path: database))
        return try scoring.score(try catalog.tracks(under: [newFolder]))
    }

    func testRankingFitReasonsAndTheCache() throws {
        for i in 0..<6 { try writeTone("liked/tone\(i).wav", frequency: 300 + 40 * Double(i)) }
        try writeTone("new/low.wav", frequency: 350)
        try writeTone("new/high.wav", frequency: 6000)
        try writeTone("new/mid.wav", frequency: 1500)
        let model = try trainModel("model-a", seed: 1)
        let before = try folderContents()

        let first = try scoreNew(with: model)
        XCTAssertEqual(first.scoredNow, 3)
        XCTAssertEqual(first.fromCache, 0)
        XCTAssertEqual(first.ranked.count, 3)
        XCTAssertEqual(first.ranked.map(\.fit), first.ranked.map(\.fit).sorted(by: >), "best fit first")
        for track in first.ranked {
            XCTAssertTrue((0...100).contains(track.fit))
            XCTAssertEqual(track.excerptCount, 1, "a 4 s track holds one 2.73 s excerpt")
            XCTAssertEqual(track.reasons.count, 3)
            XCTAssertEqual(track.reasons.map(\.similarity), track.reasons.map(\.similarity).sorted(by: >))
            XCTAssertTrue(track.reasons.allSatisfy { $0.likedTrack.hasPrefix("tone") })
        }
        XCTAssertEqual(try folderContents().subtracting(before).filter { !$0.hasPrefix("library.sqlite") }, [],
                       "scoring writes no decoded audio")

        let second = try scoreNew(with: model)
        XCTAssertEqual(second.scoredNow, 0, "an unchanged file is not scored again")
        XCTAssertEqual(second.fromCache, 3)
        XCTAssertEqual(second.ranked.map(\.path), first.ranked.map(\.path))
        XCTAssertEqual(second.ranked.map(\.csi), first.ranked.map(\.csi))

        let touched = folder.appendingPathComponent("new/mid.wav").path
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: touched)
        let third = try scoreNew(with: model)
        XCTAssertEqual(third.scoredNow, 1, "only the touched file is scored again")
        XCTAssertEqual(third.fromCache, 2)

        let other = try trainModel("model-b", seed: 2)
        XCTAssertNotEqual(other.profile.modelID, model.profile.modelID)
        let fourth = try scoreNew(with: other)
        XCTAssertEqual(fourth.scoredNow, 3, "a new model scores everything afresh")
    }

    func testTheScannedTrackIsTheScoredTrack() throws {
        for i in 0..<4 { try writeTone("liked/tone\(i).wav", frequency: 300 + 40 * Double(i)) }
        try writeTone("new/one.wav", frequency: 400)
        let model = try trainModel("model-a", seed: 1)
        let catalog = try TrackCatalog(path: folder.appendingPathComponent("library.sqlite").path)
        let newFolder = RawPath(folder.appendingPathComponent("new").path)
        _ = try LibraryScan().scan(folders: [newFolder], catalog: catalog)
        var row = try XCTUnwrap(try catalog.tracks(under: [newFolder]).first)
        // Values the file does not hold: they can only come from the row itself, not from a second look at the file.
        row.tags.title = "One"
        row.tags.artist = "Someone"
        row.tags.album = "An Album"
        row.duration = 123.5
        let scored = try XCTUnwrap(try TasteScoring(model: model, cache: nil).score([row]).ranked.first)
        XCTAssertEqual(scored.path, row.path)
        XCTAssertEqual(scored.size, row.size)
        XCTAssertEqual(scored.modificationTimeNs, row.modificationTimeNs)
        XCTAssertEqual([scored.title, scored.artist, scored.album], ["One", "Someone", "An Album"])
        XCTAssertEqual(scored.duration, 123.5, "the scan's duration, not the 4 s the decode measures")
        XCTAssertEqual(scored.displayName, "Someone - One")
    }

    #if canImport(Glibc)  // FileOpenWatch counts through Linux's inotify.
    func testEvaluatingAFileOpensItOnceAndScoresAsTheCatalogDoes() throws {
        for i in 0..<4 { try writeTone("liked/tone\(i).wav", frequency: 300 + 40 * Double(i)) }
        try writeTone("new/one.wav", frequency: 400)
        let model = try trainModel("model-a", seed: 1)
        let path = RawPath(folder.appendingPathComponent("new/one.wav").path)
        let watch = try FileOpenWatch(path: path.displayString)
        let evaluated = try TasteScoring.scoreFile(path, model: model)
        // One open detects the format, decodes and reads the tags.
        XCTAssertEqual(watch.opens(), 1)
        let catalog = try TrackCatalog(path: folder.appendingPathComponent("library.sqlite").path)
        _ = try LibraryScan().scan(folders: [path], catalog: catalog)
        let row = try XCTUnwrap(try catalog.tracks().first { $0.path == path })
        let scored = try XCTUnwrap(try TasteScoring(model: model, cache: nil).score([row]).ranked.first)
        XCTAssertEqual(evaluated.score, scored.score)
        XCTAssertEqual(evaluated.fit, scored.fit)
        XCTAssertEqual(evaluated.excerptCount, scored.excerptCount)
        XCTAssertEqual(evaluated.duration ?? 0, 4, accuracy: 0.01)
        XCTAssertEqual(evaluated.displayName, scored.displayName)
    }
    #endif

    /// Every file and folder below the test folder.
    private func folderContents() throws -> Set<String> {
        Set(try FileManager.default.subpathsOfDirectory(atPath: folder.path))
    }

    func testExcerptOnlyDecodingScoresAsTheWholeTrackCacheDid() throws {
        for i in 0..<4 { try writeTone("liked/tone\(i).wav", frequency: 300 + 40 * Double(i), seconds: 9) }
        try writeTone("new/long.wav", frequency: 420, seconds: 11)
        try writeTone("new/short.wav", frequency: 2000, seconds: 1.5)
        let model = try trainModel("model", seed: 3)
        let (tracks, _) = MusicCollection.tracks(in: [RawPath(folder.appendingPathComponent("new").path)])
        XCTAssertEqual(tracks.count, 2)

        let cached = MusicCollection.decode(tracks, cache: try PCMCache(folder: folder.appendingPathComponent("pcm").path, sampleRate: 16000),
                                            threads: 2)
        let excerpted = model.decodeForScoring(tracks, threads: 2)
        XCTAssertEqual(excerpted.pcm.map(\.count), cached.pcm.map(\.count), "the same length, so the same excerpt places")
        let places = { (pcm: [PCMTrack]) in
            AudioExcerpts.fixedItems(pcm: pcm, excerptLength: model.config.sampleLength, limit: model.config.maxExcerptsPerTrack)
        }
        XCTAssertEqual(places(excerpted.pcm), places(cached.pcm))
        let fitting = 11 * 16000 / model.config.sampleLength
        XCTAssertEqual(places(excerpted.pcm).count, min(fitting, model.config.maxExcerptsPerTrack) + 1,
                       "the excerpts of 11 s the config allows, and one padded excerpt of 1.5 s")
        let old = try model.score(cached.tracks, pcm: cached.pcm, threads: 2)
        let new = try model.score(excerpted.tracks, pcm: excerpted.pcm, threads: 2)
        XCTAssertEqual(new.excerptCounts, old.excerptCounts)
        for t in tracks.indices {
            // The cache held 16-bit samples, the new path floats: the scores agree to that rounding.
            XCTAssertEqual(new.ranked[t], old.ranked[t], accuracy: 1e-3 * max(1, abs(old.ranked[t])), tracks[t].path.fileStem)
            XCTAssertEqual(new.csi[t], old.csi[t], accuracy: 1e-3 * max(1, abs(old.csi[t])), tracks[t].path.fileStem)
        }
    }

    func testBatchesDecodedAheadScoreAsOneBatchDoes() throws {
        for i in 0..<4 { try writeTone("liked/tone\(i).wav", frequency: 300 + 40 * Double(i)) }
        for i in 0..<5 { try writeTone("new/tone\(i).wav", frequency: 250 + 900 * Double(i), seconds: 3 + Double(i)) }
        let model = try trainModel("model", seed: 1)
        let catalog = try TrackCatalog(path: folder.appendingPathComponent("library.sqlite").path)
        let newFolder = RawPath(folder.appendingPathComponent("new").path)
        _ = try LibraryScan().scan(folders: [newFolder], catalog: catalog)
        let tracks = try catalog.tracks(under: [newFolder])
        XCTAssertEqual(tracks.count, 5)

        var pipelined = TasteScoring(model: model, cache: nil)
        pipelined.batchSize = 2
        var progress: [Int] = []
        let outcome = try pipelined.score(tracks) { done, _ in progress.append(done) }
        let together = try pipelined.scoreBatch(tracks, modelID: model.profile.modelID, tools: try pipelined.rankingTools())

        XCTAssertEqual(progress, [0, 2, 4, 5])
        XCTAssertEqual(outcome.skipped.count, 0, "\(outcome.skipped)")
        XCTAssertEqual(Set(outcome.ranked.map(\.path)), Set(together.tracks.map(\.path)))
        XCTAssertEqual(outcome.ranked.count, 5)
        let expected = Dictionary(uniqueKeysWithValues: together.tracks.map { ($0.path, $0) })
        for track in outcome.ranked {
            let other = try XCTUnwrap(expected[track.path])
            // Batches of another size may round the network's sums differently, nothing more.
            XCTAssertEqual(track.score, other.score, accuracy: 1e-5 * max(1, abs(other.score)), track.fileStem)
            XCTAssertEqual(track.csi, other.csi, accuracy: 1e-5 * max(1, abs(other.csi)), track.fileStem)
            XCTAssertEqual(track.excerptCount, other.excerptCount, track.fileStem)
            XCTAssertEqual(track.reasons.map(\.likedTrack), other.reasons.map(\.likedTrack), track.fileStem)
        }
        XCTAssertEqual(outcome.audioSeconds, together.audioSeconds, accuracy: 1e-6)
    }

    func testSilentAndVeryShortTracksScoreWithFiniteValues() throws {
        for i in 0..<4 { try writeTone("liked/tone\(i).wav", frequency: 300 + 40 * Double(i)) }
        try WAVFile.write(channels: [[Float](repeating: 0, count: 22050 * 5)], sampleRate: 22050,
                          to: folder.appendingPathComponent("new/silent.wav").path)
        try writeTone("new/blip.wav", frequency: 440, seconds: 0.05)
        var config = RunConfig.musicPreset()
        config.tasteScore = .descriptor
        let model = try trainModel("model", config: config)
        let outcome = try scoreNew(with: model)
        XCTAssertEqual(outcome.ranked.count + outcome.skipped.count, 2)
        XCTAssertEqual(outcome.skipped.count, 0, "\(outcome.skipped)")
        for track in outcome.ranked {
            XCTAssertTrue(track.score.isFinite && track.fit.isFinite, "\(track.fileStem): score \(track.score), fit \(track.fit)")
            XCTAssertEqual(track.excerptCount, 1, track.fileStem)
        }
    }

    func testAModelTrainedToScoreWithLastLoadsLastAgain() throws {
        for i in 0..<3 { try writeTone("liked/tone\(i).wav", frequency: 300 + 40 * Double(i)) }
        let model = try trainModel("model", seed: 1, scoreCheckpoint: .last)
        XCTAssertEqual(model.profile.weightsFile, "last.pt")
        // The profile's embeddings and calibration come from last.pt, so scoring must load that file, not best.pt.
        let weights = model.folder.appendingPathComponent("last.pt")
        let bytes = try Data(contentsOf: weights)
        try bytes.prefix(bytes.count / 2).write(to: weights)
        XCTAssertThrowsError(try TasteModel.load(from: model.folder)) { error in
            XCTAssertTrue("\(error)".contains("last.pt"), "\(error)")
        }
    }

    func testDamagedModelFilesGiveClearErrors() throws {
        for i in 0..<3 { try writeTone("liked/tone\(i).wav", frequency: 300 + 40 * Double(i)) }
        let model = try trainModel("model", seed: 1)
        let weights = model.folder.appendingPathComponent("best.pt")
        let bytes = try Data(contentsOf: weights)
        try bytes.prefix(bytes.count / 2).write(to: weights)
        XCTAssertThrowsError(try TasteModel.load(from: model.folder)) { error in
            XCTAssertTrue("\(error)".contains("best.pt"), "\(error)")
        }
        try FileManager.default.removeItem(at: weights)
        XCTAssertThrowsError(try TasteModel.load(from: model.folder)) { error in
            XCTAssertTrue("\(error)".contains("no trained model"), "\(error)")
        }
    }
}
