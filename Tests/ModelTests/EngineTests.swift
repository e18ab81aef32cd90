import Features
import Foundation
import ModelTestSupport
import TestSupport
import XCTest
@testable import Model

final class EngineTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryDirectory()
        TorchRuntime.configureThreads()
    }

    func testNTXentMatchesHandComputation() throws {
        // Four unit vectors; positives 0<->2 and 1<->3; T = 0.5 so a cosine c becomes 2c.
        let z: [Float] = [1, 0, 0, 1, 1, 0, -1, 0]
        let loss0 = -2 + log(exp(2.0) + exp(0.0) + exp(-2.0))  // anchor 0: positive 2 (cos 1), others 1 (0) and 3 (-1)
        let loss1 = log(3.0)                              // anchor 1: every cosine is 0
        let loss3 = log(exp(0.0) + 2 * exp(-2.0))              // anchor 3: positive 1 (0), others 0 and 2 (-1)
        let expected = (2 * loss0 + loss1 + loss3) / 4     // anchor 2 mirrors anchor 0
        XCTAssertEqual(expected, 0.4060, accuracy: 1e-4)
        XCTAssertEqual(try ntXentLoss(z, count: 4, dim: 2, temperature: 0.5), expected, accuracy: 1e-5)
    }

    func testNTXentNormalisesItsInput() throws {
        let z: [Float] = [3, 0, 0, 2, 5, 0, -4, 0]
        XCTAssertEqual(try ntXentLoss(z, count: 4, dim: 2, temperature: 0.5),
                       try ntXentLoss([1, 0, 0, 1, 1, 0, -1, 0], count: 4, dim: 2, temperature: 0.5), accuracy: 1e-6)
    }

    func testOddBatchIsAnErrorNotACrash() {
        XCTAssertThrowsError(try ntXentLoss([1, 0, 0, 1, 1, 0], count: 3, dim: 2, temperature: 0.5)) { error in
            XCTAssertTrue("\(error)".contains("even"), "\(error)")
        }
    }

    func testEveryArchitectureBuildsAndRuns() throws {
        let cases: [(String, Int, Int)] = [("resnet", 0, 64), ("resnet", 2, 64), ("resnet", 5, 32), ("efficientnet", 0, 64),
                                           ("efficientnet", 8, 32), ("small_resnet", 0, 64), ("small_resnet", 1, 32),
                                           ("small_resnet", 2, 64)]
        for (architecture, scale, side) in cases {
            let spec = NetworkSpec(architecture: architecture, scale: scale, inputChannels: 3, inputHeight: side,
                                   inputWidth: side, numShifts: 4, numClasses: 2)
            let network = try CSINetwork(spec: spec)
            let out = try network.forward([Float](repeating: 0.5, count: 2 * spec.itemSize), count: 2)
            XCTAssertEqual(out.projection.count, 2 * 128, "\(architecture) \(scale)")
            XCTAssertEqual(out.shiftLogits.count, 2 * 4, "\(architecture) \(scale)")
            XCTAssertEqual(out.features.count, 2 * network.featureDim, "\(architecture) \(scale)")
        }
        XCTAssertEqual(try CSINetwork(spec: NetworkSpec(architecture: "resnet", scale: 0, inputChannels: 1, inputHeight: 64,
                                                        inputWidth: 64, numShifts: 1)).featureDim, 512)
        XCTAssertEqual(try CSINetwork(spec: NetworkSpec(architecture: "resnet", scale: 2, inputChannels: 1, inputHeight: 64,
                                                        inputWidth: 64, numShifts: 1)).featureDim, 2048)
        XCTAssertEqual(try CSINetwork(spec: NetworkSpec(architecture: "efficientnet", scale: 0, inputChannels: 1, inputHeight: 64,
                                                        inputWidth: 64, numShifts: 1)).featureDim, 1280)
    }

    func testUnknownArchitectureIsATypedError() {
        XCTAssertThrowsError(try CSINetwork(spec: NetworkSpec(architecture: "resnet", scale: 9, inputChannels: 1, inputHeight: 8,
                                                              inputWidth: 8, numShifts: 1))) { error in
            XCTAssertEqual((error as? TorchError)?.code, .invalidArgument)
            XCTAssertTrue("\(error)".contains("0-5"), "\(error)")
        }
    }

    func testBatchLayoutIsShiftMajor() {
        // Item b's slot j lands at j*B + b; the marker written is item*100 + slot.
        struct MarkerSource: TrainingSource {
            var count: Int { 3 }
            var shape: ItemShape { ItemShape(channels: 1, height: 1, width: 1) }
            func writeTrainingViews(of item: Int, shifts: Int, generator: inout SeededGenerator,
                                    into slots: [UnsafeMutableBufferPointer<Float>]) {
                for (j, slot) in slots.enumerated() { slot[0] = Float(item * 100 + j) }
            }
            func writeCleanInput(of item: Int, into slot: UnsafeMutableBufferPointer<Float>) {}
            func writeEvaluationSample(of item: Int, shift: Int, shifts: Int, augmented: Bool, generator: inout SeededGenerator,
                                       into slot: UnsafeMutableBufferPointer<Float>) {}
        }
        let batch = ShiftMajorBatch.make(source: MarkerSource(), items: [2, 0, 1], shifts: 2,
                                         generator: SeededGenerator(seed: 1), threads: 2)
        XCTAssertEqual(batch.count, 12)
        XCTAssertEqual(batch.input, [200, 0, 100, 201, 1, 101, 202, 2, 102, 203, 3, 103])
        XCTAssertEqual(batch.shiftLabels, [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1])
        // Positives i <-> i + N/2 are the same item and shift in the other view.
        for i in 0..<6 {
            XCTAssertEqual(Int(batch.input[i]) / 100, Int(batch.input[i + 6]) / 100)
            XCTAssertEqual(batch.shiftLabels[i], batch.shiftLabels[i + 6])
        }
    }

    func testTrainingStepsLowerTheLoss() throws {
        TorchRuntime.seed(3)
        let network = try CSINetwork(spec: tinySpec())
        let optimizer = try Optimizer(network: network, kind: .adamw, learningRate: 3e-3, weightDecay: 1e-4)
        let source = SyntheticSource(count: 8)
        let batch = ShiftMajorBatch.make(source: source, items: Array(0..<8), shifts: 2, generator: SeededGenerator(seed: 5))
        let weights = LossWeights()
        let first = try network.trainStep(batch, optimizer: optimizer, loss: weights)
        var last = first
        for _ in 0..<40 { last = try network.trainStep(batch, optimizer: optimizer, loss: weights) }
        XCTAssertGreaterThan(first.sim, 0)
        XCTAssertGreaterThan(first.shift, 0)
        XCTAssertEqual(first.total, first.sim + first.shift, accuracy: 1e-4)
        XCTAssertLessThan(last.total, 0.7 * first.total, "loss \(first.total) -> \(last.total)")
    }

    func testScoreCheckpointPicksBestOrLast() {
        let result = TrainingResult(epochsCompleted: 2, steps: 4, trainingSeconds: 1, itemsPerSecond: 1, dataWaitFraction: 0, bestValidationLoss: 1,
                                    lastCheckpoint: folder.appendingPathComponent("last.pt"),
                                    bestCheckpoint: folder.appendingPathComponent("best.pt"), modelID: "m", wasStopped: false)
        var config = RunConfig()
        XCTAssertEqual(config.scoringCheckpoint(of: result).lastPathComponent, "best.pt")
        config.scoreCheckpoint = .last
        XCTAssertEqual(config.scoringCheckpoint(of: result).lastPathComponent, "last.pt")
    }

    func testZeroWeightTermsAreNotComputed() throws {
        let network = try CSINetwork(spec: tinySpec())
        let batch = ShiftMajorBatch.make(source: SyntheticSource(count: 4), items: Array(0..<4), shifts: 2,
                                         generator: SeededGenerator(seed: 5))
        let loss = try network.evalLoss(batch, loss: LossWeights(similarity: 0, shift: 1, classification: 0, norm: 2))
        XCTAssertEqual(loss.sim, 0)
        XCTAssertGreaterThan(loss.norm, 0)
        XCTAssertEqual(loss.total, loss.shift + 2 * loss.norm, accuracy: 1e-4)
    }

    func testCheckpointRoundTripGivesIdenticalEmbeddings() throws {
        let network = try CSINetwork(spec: tinySpec())
        let optimizer = try Optimizer(network: network, kind: .sgd, learningRate: 0.1, weightDecay: 1e-4)
        let source = SyntheticSource(count: 4)
        let batch = ShiftMajorBatch.make(source: source, items: Array(0..<4), shifts: 2, generator: SeededGenerator(seed: 5))
        _ = try network.trainStep(batch, optimizer: optimizer, loss: LossWeights())  // moves BatchNorm statistics too
        let url = folder.appendingPathComponent("model.pt")
        let meta = CheckpointMetadata(modelID: "m1", spec: network.spec, epoch: 3, step: 12, bestValidationLoss: 1.5, config: "{}")
        try Checkpoint.save(network: network, optimizer: optimizer, metadata: meta, to: url)
        let (restored, restoredMeta) = try Checkpoint.load(from: url)
        XCTAssertEqual(restoredMeta.modelID, "m1")
        XCTAssertEqual(restoredMeta.epoch, 3)
        XCTAssertEqual(restoredMeta.spec, network.spec)
        let probe = batch.input
        XCTAssertEqual(try network.forward(probe, count: batch.count).projection,
                       try restored.forward(probe, count: batch.count).projection)
        XCTAssertEqual(try network.forward(probe, count: batch.count).features,
                       try restored.forward(probe, count: batch.count).features)
    }

    func testBadCheckpointsGiveClearErrors() throws {
        let missing = folder.appendingPathComponent("none.pt")
        XCTAssertThrowsError(try Checkpoint.load(from: missing)) { XCTAssertTrue("\($0)".contains("no checkpoint"), "\($0)") }

        let network = try CSINetwork(spec: tinySpec())
        let url = folder.appendingPathComponent("model.pt")
        let meta = CheckpointMetadata(modelID: "m", spec: network.spec, epoch: 1, step: 1, bestValidationLoss: nil, config: "{}")
        try Checkpoint.save(network: network, optimizer: nil, metadata: meta, to: url)
        let bytes = try Data(contentsOf: url)
        let truncated = folder.appendingPathComponent("truncated.pt")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        XCTAssertThrowsError(try Checkpoint.load(from: truncated)) { error in
            XCTAssertEqual((error as? TorchError)?.code, .io)
            XCTAssertTrue("\(error)".contains("truncated.pt"), "\(error)")
        }
        let other = try CSINetwork(spec: tinySpec(shifts: 4))
        XCTAssertThrowsError(try Checkpoint.loadWeights(into: other, optimizer: nil, from: url)) { error in
            XCTAssertEqual((error as? TorchError)?.code, .mismatch)
            XCTAssertTrue("\(error)".contains("shape"), "\(error)")
        }
    }

    func testScheduleWarmsUpThenAnneals() {
        let schedule = LearningRateSchedule(peak: 0.1, totalSteps: 101, warmupSteps: 10)
        XCTAssertEqual(schedule.learningRate(at: 0), 0.1 / 25, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(at: 10), 0.1, accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(at: 100), 0.1 / 25 / 1e4, accuracy: 1e-12)
        XCTAssertLessThan(schedule.learningRate(at: 5), 0.1)
        XCTAssertGreaterThan(schedule.learningRate(at: 5), 0.1 / 25)
        XCTAssertEqual(LearningRateSchedule(peak: 0.1, totalSteps: 50, warmupSteps: 5, isConstant: true).learningRate(at: 30), 0.1)
    }

    private func settings(epochs: Int) -> TrainingSettings {
        .tiny(epochs: epochs, checkpointFolder: folder)
    }

    /// Runs a trainer and records (step, lr, loss) of every step.
    private func record(_ trainer: Trainer, resume: Bool, stopAfterEpoch: Int? = nil) throws -> (TrainingResult, [(Int, Double, Double)]) {
        var steps: [(Int, Double, Double)] = []
        let source = SyntheticSource(count: 10)
        let result = try trainer.run(train: SubsetSource(source, indices: Array(0..<8)),
                                     validation: SubsetSource(source, indices: [8, 9]), resume: resume) { event in
            switch event {
            case .step(let report): steps.append((report.globalStep, report.learningRate, report.loss.total))
            case .epochFinished(let report) where report.epoch == stopAfterEpoch: trainer.requestStop()
            default: break
            }
        }
        return (result, steps)
    }

    /// A fresh run with seed 11 under `settings`, its checkpoint folder emptied first: the result and each step's loss.
    private func seededRun(_ settings: TrainingSettings) throws -> (result: TrainingResult, losses: [Double]) {
        if FileManager.default.fileExists(atPath: folder.path) { try FileManager.default.removeItem(at: folder) }
        TorchRuntime.seed(11)
        let (result, steps) = try record(Trainer(network: CSINetwork(spec: tinySpec()), settings: settings, configJSON: "{}"),
                                         resume: false)
        return (result, steps.map(\.2))
    }

    func testBuildingEachBatchAtItsStepGivesTheSameLossesAsPrefetching() throws {
        let prefetched = try seededRun(settings(epochs: 2)).losses
        var inline = settings(epochs: 2)
        inline.prefetchesBatches = false
        let built = try seededRun(inline).losses
        XCTAssertEqual(built.count, 4)
        XCTAssertEqual(built, prefetched, "the same batches in the same order, only built at another time")
    }

    func testPrefetchingAtNormalPriorityGivesTheSameLossesAsAtIdlePriority() throws {
        let idle = try seededRun(settings(epochs: 2)).losses
        var normal = settings(epochs: 2)
        normal.prefetchPriority = .normal
        let (result, competing) = try seededRun(normal)
        XCTAssertEqual(settings(epochs: 2).prefetchPriority, .idle, "idle is the default")
        XCTAssertEqual(competing.count, 4)
        XCTAssertEqual(competing, idle, "priority changes when a batch is built, not what it holds")
        XCTAssert((0...1).contains(result.dataWaitFraction), "a share of the loop: \(result.dataWaitFraction)")
    }

    func testSameSeedGivesSameLosses() throws {
        let a = try seededRun(settings(epochs: 2)).losses
        let b = try seededRun(settings(epochs: 2)).losses
        XCTAssertEqual(a.count, 4)
        XCTAssertEqual(a, b)
    }

    func testResumeContinuesWhereItStopped() throws {
        TorchRuntime.seed(11)
        let (full, uninterrupted) = try record(Trainer(network: CSINetwork(spec: tinySpec()), settings: settings(epochs: 4), configJSON: "{}"), resume: false)
        XCTAssertEqual(full.epochsCompleted, 4)
        XCTAssertEqual(uninterrupted.count, 8)
        XCTAssertEqual(try Checkpoint.metadata(at: folder.appendingPathComponent("last.pt")).epoch, 4)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("best.pt").path))
        try FileManager.default.removeItem(at: folder)

        TorchRuntime.seed(11)
        let (stopped, firstPart) = try record(Trainer(network: CSINetwork(spec: tinySpec()), settings: settings(epochs: 4), configJSON: "{}"),
                                              resume: false, stopAfterEpoch: 2)
        XCTAssertTrue(stopped.wasStopped)
        XCTAssertEqual(stopped.epochsCompleted, 2)
        XCTAssertEqual(try Checkpoint.metadata(at: folder.appendingPathComponent("last.pt")).step, 4)

        TorchRuntime.seed(999)  // a resumed run must not depend on fresh initialisation
        let (resumed, secondPart) = try record(Trainer(network: CSINetwork(spec: tinySpec()), settings: settings(epochs: 4), configJSON: "{}"), resume: true)
        XCTAssertEqual(resumed.epochsCompleted, 4)
        XCTAssertEqual(resumed.modelID, stopped.modelID)
        let joined = firstPart + secondPart
        XCTAssertEqual(joined.map(\.0), uninterrupted.map(\.0))
        for (x, y) in zip(joined, uninterrupted) {
            XCTAssertEqual(x.1, y.1, accuracy: 1e-12, "learning rate at step \(x.0)")
            XCTAssertEqual(x.2, y.2, accuracy: 1e-4, "loss at step \(x.0)")
        }
    }

    func testScoresAreFiniteAndCalibratedOnTheReference() throws {
        TorchRuntime.seed(4)
        let network = try CSINetwork(spec: tinySpec())
        let trainer = try Trainer(network: network, settings: settings(epochs: 6), configJSON: "{}")
        let source = SyntheticSource(count: 8)
        _ = try trainer.run(train: source, validation: Optional<SyntheticSource>.none, resume: false) { _ in }
        let scorer = try CSIScorer(network: network, reference: source, settings: ScoringSettings(samples: 2, seed: 1))
        XCTAssertEqual(scorer.referenceCount, 8)
        let scores = try scorer.scores(source)
        XCTAssertEqual(scores.csi.count, 8)
        XCTAssertEqual(scores.norm.count, 8)
        XCTAssertTrue(scores.csi.allSatisfy(\.isFinite))
        XCTAssertTrue(scores.norm.allSatisfy { $0 > 0 })
    }

    func testCleanScoresReuseShiftZerosForwardPassWithTheSameResults() throws {
        TorchRuntime.seed(4)
        let network = try CSINetwork(spec: tinySpec())
        let twice = SyntheticSource(count: 6)
        var once = twice
        once.cleanInputIsShiftZero = true
        let settings = ScoringSettings(samples: 1, augmentsSamples: false)
        let scorer = try CSIScorer(network: network, reference: twice, settings: settings)
        let (a, b) = (try scorer.scores(twice), try scorer.scores(once))
        for (x, y) in zip(a.norm + a.csi, b.norm + b.csi) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(x))) }
        XCTAssertEqual(a.embeddings.count, b.embeddings.count)
        for (x, y) in zip(a.embeddings, b.embeddings) { XCTAssertEqual(x, y, accuracy: 1e-4) }
    }

    func testCleanEvaluationScoresOneSampleAndIgnoresTheSeed() throws {
        TorchRuntime.seed(4)
        let network = try CSINetwork(spec: tinySpec())
        let source = SyntheticSource(count: 6)
        XCTAssertEqual(ScoringSettings(samples: 4, augmentsSamples: false).samples, 1)
        func csi(seed: UInt64, augmented: Bool) throws -> [Double] {
            let settings = ScoringSettings(samples: 1, seed: seed, augmentsSamples: augmented)
            return try CSIScorer(network: network, reference: source, settings: settings).scores(source).csi
        }
        XCTAssertEqual(try csi(seed: 1, augmented: false), try csi(seed: 2, augmented: false))
        XCTAssertNotEqual(try csi(seed: 1, augmented: true), try csi(seed: 2, augmented: true),
                          "augmented samples depend on the seed, so the comparison above can fail")
    }
}
