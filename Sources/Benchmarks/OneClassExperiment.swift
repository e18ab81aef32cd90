import Dispatch
import Features
import Foundation
import Model

/// What a one-class run measured: detection quality and speed.
public struct OneClassReport: Codable, Sendable {
    public var dataset: String
    public var targetClass: Int
    public var className: String
    public var epochs: Int
    public var trainItems: Int
    public var validationItems: Int
    public var testItems: Int
    public var aurocNorm: Double?
    public var aurocCSI: Double?
    /// CSI's two terms apart (csi = similarity + shift, or shift alone with `csi_terms: shift`).
    public var aurocSimilarity: Double?
    public var aurocShift: Double?
    public var trainingSeconds: Double
    /// Training items per second of the whole loop (data preparation included).
    public var trainingItemsPerSecond: Double
    /// Training items per second of optimiser steps alone on a prepared batch, measured in the same run (the mean
    /// of one reading before training and one after).
    public var modelOnlyItemsPerSecond: Double?
    /// trainingItemsPerSecond / modelOnlyItemsPerSecond.
    public var loopEfficiency: Double?
    /// The share of the loop spent waiting for data (`TrainingResult.dataWaitFraction`).
    public var dataWaitFraction: Double
    public var evaluationSeconds: Double
    public var threads: Int
    public var checkpoint: String
    /// Ranks that trained together (1 alone) and this one's rank; only rank 0 evaluates (the others' AUROCs are nil).
    public var worldSize = 1
    public var rank = 0
    /// `CSINetwork.parameterChecksum` of the final parameters: equal on every rank of a group.
    public var paramChecksum = ""
    /// Trainable scalars of the network: what every step's gradient all-reduce carries.
    public var parameters = 0
    /// In a group, seconds one all-reduce of `parameters` floats took after training (mean of 10): the communication
    /// a step adds, measured on this group's transport.
    public var allReduceSeconds: Double?
}

/// AUROCs of one evaluation; nil where a score is not computed or one class is missing.
public struct ScoreAUROCs: Sendable, CustomStringConvertible {
    public var norm: Double?
    public var csi: Double?
    public var similarity: Double?
    public var shift: Double?

    public var description: String {
        let format = { (value: Double?) in value.map { String(format: "%.4f", $0) } ?? "n/a" }
        return "norm \(format(norm)), csi \(format(csi)) (similarity \(format(similarity)), shift \(format(shift)))"
    }
}

/// The data of a one-class run: training items (split into train and validation), the test items
/// with their in-class flags.
public struct OneClassData<Source: TrainingSource>: Sendable {
    public var train: SubsetSource<Source>
    public var validation: SubsetSource<Source>
    public var test: Source
    public var testIsInClass: [Bool]
    public var className: String

    /// The training items CSI's score is calibrated on: `eval_train_items` of them (0 = all), seeded.
    public func reference(limit: Int, seed: UInt64) -> SubsetSource<SubsetSource<Source>> {
        limitedSubset(train, to: limit, seed: seed)
    }
}

extension OneClassData where Source == ImageSource {
    /// CIFAR-10's one-class protocol for `config.targetClass`: its 5000 training images (minus the
    /// validation split) and all 10000 test images.
    public static func cifar10(config: RunConfig) throws -> OneClassData<ImageSource> {
        let split = try CIFAR10.oneClassSplit(at: config.dataPath, targetClass: config.targetClass)
        let augmentation = ImageAugmentation(config: config, trainingImages: split.train)
        let all = ImageSource(images: split.train, augmentation: augmentation)
        let (train, validation) = validationSplit(count: all.count, fraction: config.validationFraction, seed: UInt64(config.seed))
        return OneClassData(train: SubsetSource(all, indices: train), validation: SubsetSource(all, indices: validation),
                            test: ImageSource(images: split.test, augmentation: augmentation),
                            testIsInClass: split.testIsInClass, className: CIFAR10.classNames[config.targetClass])
    }
}

/// Trains and evaluates a CSI model on one-class data.
public struct OneClassExperiment<Source: TrainingSource>: Sendable {
    public let config: RunConfig
    public let data: OneClassData<Source>
    /// The data-parallel group this rank trains in; nil trains alone.
    public let group: ProcessGroup?

    public init(config: RunConfig, data: OneClassData<Source>, group: ProcessGroup? = nil) {
        self.config = config
        self.data = data
        self.group = group
    }

    private var isLeader: Bool { group?.isLeader ?? true }

    /// The AUROCs of `network` on the test items: both scores, and CSI's two terms apart.
    public func aurocs(of network: CSINetwork) throws -> ScoreAUROCs {
        let scorer = try CSIScorer(network: network, reference: data.reference(limit: config.evalTrainItems, seed: UInt64(config.seed)),
                                   settings: config.scoringSettings)
        let scores = try scorer.scores(data.test)
        let area = { (values: [Double]) in AUROC.area(scores: values, isPositive: data.testIsInClass) }
        return ScoreAUROCs(norm: area(scores.norm), csi: area(scores.csi), similarity: area(scores.similarity),
                           shift: area(scores.shift))
    }

    /// Trains (resuming when asked), logging to `log`, evaluating every `eval_test_step` epochs.
    /// `evaluateDuringTraining` false skips the `eval_test_step` evaluations (a benchmark evaluates once, at the end).
    public func train(resume: Bool, log: TrainingLog, measureModelOnly: Bool = false, evaluateDuringTraining: Bool = true,
                      trainer hook: ((Trainer) -> Void)? = nil) throws -> (TrainingResult, Double?) {
        TorchRuntime.seed(UInt64(config.seed))
        let network = try CSINetwork(spec: config.networkSpec(channels: data.train.shape.channels))
        let trainer = try Trainer(network: network, settings: config.trainingSettings, configJSON: config.json(), group: group)
        hook?(trainer)
        let probe = measureModelOnly && isLeader ? try ModelOnlyProbe(spec: network.spec, settings: config.trainingSettings) : nil
        if let probe {
            log.note(String(format: "model-only step throughput before training: %.1f items/s", try probe.measure(source: data.train, steps: 20)))
        }
        let result = try trainer.run(train: data.train, validation: data.validation, resume: resume,
                                     evaluate: evaluateDuringTraining ? { network, _ in
                                         let aurocs = try self.aurocs(of: network)
                                         return ["auroc_norm": aurocs.norm ?? .nan, "auroc_csi": aurocs.csi ?? .nan]
                                     } : nil,
                                     observe: probe?.interleaved(with: log.record, source: data.train, steps: 10)
                                         ?? log.record)
        if let probe {
            log.note(String(format: "model-only step throughput after training: %.1f items/s", try probe.measure(source: data.train, steps: 20)))
        }
        return (result, probe?.itemsPerSecond)
    }

    /// Trains from scratch, measures model-only throughput in the same run, evaluates the checkpoint
    /// `score_checkpoint` picks (`best.pt` by default).
    public func benchmark(log: TrainingLog) throws -> OneClassReport {
        let (result, modelOnly) = try train(resume: false, log: log, measureModelOnly: true, evaluateDuringTraining: false)
        let parameters = try CSINetwork(spec: config.networkSpec(channels: data.train.shape.channels)).parameterCount
        // Rank 0 measured model-only steps after training alone; the others wait for it.
        try group?.barrier(timeout: Trainer.leaderWorkTimeout)
        let allReduce = try group?.allReduceSeconds(floats: parameters, repeats: 10)
        guard isLeader else {
            return OneClassReport(
                dataset: config.datasetName.rawValue, targetClass: config.targetClass, className: data.className,
                epochs: result.epochsCompleted, trainItems: data.train.count, validationItems: data.validation.count,
                testItems: data.test.count, trainingSeconds: result.trainingSeconds, trainingItemsPerSecond: result.itemsPerSecond,
                dataWaitFraction: result.dataWaitFraction, evaluationSeconds: 0, threads: TorchRuntime.threads,
                checkpoint: config.scoringCheckpoint(of: result).path, worldSize: result.worldSize, rank: result.rank,
                paramChecksum: result.parameterChecksum, parameters: parameters, allReduceSeconds: allReduce)
        }
        let start = DispatchTime.now()
        let (network, _) = try Checkpoint.load(from: config.scoringCheckpoint(of: result))
        let aurocs = try aurocs(of: network)
        let evaluationSeconds = seconds(since: start)
        log.note("AUROC " + aurocs.description)
        return OneClassReport(
            dataset: config.datasetName.rawValue, targetClass: config.targetClass, className: data.className,
            epochs: result.epochsCompleted, trainItems: data.train.count, validationItems: data.validation.count,
            testItems: data.test.count, aurocNorm: aurocs.norm, aurocCSI: aurocs.csi,
            aurocSimilarity: aurocs.similarity, aurocShift: aurocs.shift, trainingSeconds: result.trainingSeconds,
            trainingItemsPerSecond: result.itemsPerSecond, modelOnlyItemsPerSecond: modelOnly,
            loopEfficiency: modelOnly.map { result.itemsPerSecond / $0 }, dataWaitFraction: result.dataWaitFraction, evaluationSeconds: evaluationSeconds,
            threads: TorchRuntime.threads, checkpoint: config.scoringCheckpoint(of: result).path,
            worldSize: result.worldSize, rank: result.rank, paramChecksum: result.parameterChecksum, parameters: parameters,
            allReduceSeconds: allReduce)
    }
}

extension OneClassExperiment where Source == ImageSource {
    /// Both scores of `images` (e.g. one PNG file), calibrated on the training images as the test set is.
    public func scores(of images: ImageSet, network: CSINetwork) throws -> ItemScores {
        let scorer = try CSIScorer(network: network, reference: data.reference(limit: config.evalTrainItems, seed: UInt64(config.seed)),
                                   settings: config.scoringSettings)
        return try scorer.scores(ImageSource(images: images, augmentation: data.test.augmentation))
    }
}
