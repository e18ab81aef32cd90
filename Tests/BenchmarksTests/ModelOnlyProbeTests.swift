import Features
import Foundation
import Model
import ModelTestSupport
import TestSupport
import XCTest
@testable import Benchmarks

/// The model-only probe: its readings, between epochs and around a whole `TasteTraining` run.
final class ModelOnlyProbeTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryDirectory()
        TorchRuntime.configureThreads()
    }

    private func settings(epochs: Int) -> TrainingSettings { .tiny(epochs: epochs, checkpointFolder: folder) }

    func testModelOnlyProbeReportsTheMeanOfItsReadings() throws {
        let probe = try ModelOnlyProbe(spec: tinySpec(), settings: settings(epochs: 1))
        XCTAssertNil(probe.itemsPerSecond)
        let first = try probe.measure(source: SyntheticSource(count: 8), steps: 2)
        let second = try probe.measure(source: SyntheticSource(count: 8), steps: 2)
        XCTAssertEqual(probe.readings, [first, second])
        XCTAssertGreaterThan(min(first, second), 0)
        XCTAssertEqual(try XCTUnwrap(probe.itemsPerSecond), (first + second) / 2, accuracy: 1e-9)
    }

    func testInterleavedProbeReadsBetweenEpochsButNotAfterTheLast() throws {
        let probe = try ModelOnlyProbe(spec: tinySpec(), settings: settings(epochs: 1))
        let source = SyntheticSource(count: 8)
        let trainer = try Trainer(network: CSINetwork(spec: tinySpec()), settings: settings(epochs: 5), configJSON: "{}")
        var finishedEpochs: [Int] = []
        var readingsAtEpochEnd: [Int] = []
        let observe = probe.interleaved(with: { event in
            if case .epochFinished(let report) = event { finishedEpochs.append(report.epoch) }
        }, source: source, every: 2, steps: 1)
        // Record what the probe had read when each epoch's event reached the trainer's own observer.
        _ = try trainer.run(train: SubsetSource(source, indices: Array(0..<6)), validation: SubsetSource(source, indices: [6, 7]),
                            resume: false) { event in
            observe(event)
            if case .epochFinished = event { readingsAtEpochEnd.append(probe.readings.count) }
        }
        XCTAssertEqual(finishedEpochs, [1, 2, 3, 4, 5], "every event still reaches the wrapped observer")
        XCTAssertEqual(readingsAtEpochEnd, [0, 1, 1, 2, 2], "a reading after epochs 2 and 4, none after the last")
        XCTAssertTrue(probe.readings.allSatisfy { $0 > 0 })
        XCTAssertEqual(ModelOnlyProbe.interval(epochs: 48), 6)
        XCTAssertEqual(ModelOnlyProbe.interval(epochs: 3), 1)
    }

    func testInterleavedProbeWithoutAnIntervalReadsAboutEightTimesARun() throws {
        let probe = try ModelOnlyProbe(spec: tinySpec(), settings: settings(epochs: 1))
        let source = SyntheticSource(count: 8)
        let trainer = try Trainer(network: CSINetwork(spec: tinySpec()), settings: settings(epochs: 17), configJSON: "{}")
        _ = try trainer.run(train: SubsetSource(source, indices: Array(0..<6)), validation: nil as SubsetSource<SyntheticSource>?,
                            resume: false, observe: probe.interleaved(with: { _ in }, source: source, steps: 1))
        XCTAssertEqual(probe.readings.count, 8, "17 epochs: a reading after every second epoch but the last")
    }
}
