import Foundation
import LibraryScanner
import ModelTestSupport
import TestSupport
import XCTest
@testable import Model

/// What a `TrainingObserver` given to `TasteTraining.run` is told, and when.
final class TrainingObserverTests: XCTestCase {
    /// Writes down every call in order.
    private final class Recorder: TrainingObserver {
        var calls: [String] = []
        var items = 0
        var spec: NetworkSpec?

        func willTrain<Source: TrainingSource>(spec: NetworkSpec, settings: TrainingSettings, items: Source) throws {
            calls.append("willTrain")
            self.items = items.count
            self.spec = spec
        }

        func observe(_ event: TrainingEvent) {
            if case .epochFinished(let report) = event { calls.append("epoch \(report.epoch)") }
        }

        func didTrain() throws { calls.append("didTrain") }
    }

    private func training(_ config: RunConfig, in folder: URL) throws -> TasteTraining {
        let tracks = try (0..<4).map { try WAVFile.toneTrack("tone\($0).wav", in: folder, seconds: 3, frequency: 300 + 60 * Double($0)) }
        return TasteTraining(config: config, tracks: tracks, cache: try PCMCache(folder: folder.appendingPathComponent("pcm").path, sampleRate: 16000),
                             folder: folder.appendingPathComponent("model"))
    }

    func testTheObserverSeesTheNetworkEveryEpochAndTheEnd() throws {
        let folder = try makeTemporaryDirectory()
        var config = RunConfig.tinyMusic
        config.epochs = 2
        let recorder = Recorder()
        let outcome = try training(config, in: folder).run(log: try TrainingLog(directory: folder.path, config: config),
                                                         observer: recorder, say: { _ in })
        XCTAssertEqual(recorder.calls, ["willTrain", "epoch 1", "epoch 2", "didTrain"])
        XCTAssertEqual(recorder.spec, outcome.network?.spec)
        XCTAssertEqual(recorder.items, outcome.trainTracks * config.excerptsPerTrack, "the training excerpts of an epoch")
    }

    func testWithoutANetworkTheObserverIsNotCalled() throws {
        let folder = try makeTemporaryDirectory()
        var config = RunConfig.tinyMusic
        config.tasteScore = .descriptor
        let recorder = Recorder()
        let outcome = try training(config, in: folder).run(log: try TrainingLog(directory: folder.path, config: config),
                                                         observer: recorder, say: { _ in })
        XCTAssertNil(outcome.network)
        XCTAssertEqual(recorder.calls, [])
    }
}
