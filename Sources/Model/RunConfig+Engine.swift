import Foundation

extension RunConfig {
    /// The network this config asks for, for inputs of `channels` channels.
    public func networkSpec(channels: Int) -> NetworkSpec {
        NetworkSpec(architecture: modelName.rawValue, scale: modelScale, inputChannels: channels,
                    inputHeight: inputImageSize[0], inputWidth: inputImageSize[1], numShifts: duplicationFactor)
    }

    /// The training loop's settings.
    public var trainingSettings: TrainingSettings {
        var settings = TrainingSettings(
            epochs: epochs, batchSize: batchSize, learningRate: learningRate,
            optimizer: optimizer,
            usesCosineSchedule: lrScheduler != nil, warmupEpochs: Double(warmupEpochs), weightDecay: weightDecay,
            momentum: momentum, shifts: duplicationFactor, loss: lossWeights, seed: UInt64(seed),
            saveCheckpointEvery: saveCheckpointEpochs, evaluateEvery: evalTestStep,
            checkpointFolder: URL(fileURLWithPath: effectiveCheckpointDirectory),
            dataThreads: dataThreads)
        settings.prefetchesBatches = prefetchBatches
        settings.prefetchPriority = prefetchPriority
        return settings
    }

    /// Threads preparing batches: `num_workers`, or one per core when it is 0.
    var dataThreads: Int { workerCount > 0 ? workerCount : ProcessInfo.processInfo.activeProcessorCount }

    /// CSI scoring settings: `eval_samples` augmented samples (or one clean one), batched like training.
    public var scoringSettings: ScoringSettings {
        ScoringSettings(samples: evalSamples, batchSize: max(64, batchSize * 2 * duplicationFactor), seed: UInt64(seed),
                        dataThreads: dataThreads, usesSimilarity: csiTerms == .both, augmentsSamples: evalAugment)
    }
}

/// Everything a training run leaves in `log_dir`: the effective config, a text log, TensorBoard
/// scalars, and the progress bar on stderr.
public final class TrainingLog: @unchecked Sendable {
    let log: RunLog?
    let events: EventWriter?
    var progress: ProgressReporter?
    private var itemsDone = 0

    /// Creates `directory`, writes `config.json` into it and opens the log and event files.
    public init(directory: String, config: RunConfig) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try config.json().write(toFile: (directory as NSString).appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        log = try RunLog(directory: directory)
        events = try EventWriter(directory: directory)
    }

    /// A log that writes nothing: a rank other than 0 of a data-parallel group, where rank 0 alone keeps the logs.
    public init() {
        log = nil
        events = nil
    }

    /// Rank 0's (or a lone process's) log in `directory`, a silent one on the other ranks of `group`.
    public static func forRank(of group: ProcessGroup?, directory: String, config: RunConfig) throws -> TrainingLog {
        group?.isLeader ?? true ? try TrainingLog(directory: directory, config: config) : TrainingLog()
    }

    /// Writes a line to the text log (and nothing else).
    public func note(_ line: String) { log?.write(line) }

    /// Handles one training event.
    public func record(_ event: TrainingEvent) {
        switch event {
        case let .started(epoch, epochs, batches, items):
            progress = ProgressReporter(totalEpochs: epochs, itemsPerEpoch: items)
            log?.write("training from epoch \(epoch) of \(epochs): \(items) items, \(batches) batches per epoch")
            progress?.startEpoch(epoch + 1)
            itemsDone = 0
        case let .step(report):
            itemsDone = report.itemsDone
            progress?.update(itemsDone: itemsDone, loss: report.loss.total)
            events?.add(report.loss.total, tag: "train/loss", step: report.globalStep)
            events?.add(report.loss.sim, tag: "train/loss_sim", step: report.globalStep)
            events?.add(report.loss.shift, tag: "train/loss_shift", step: report.globalStep)
            events?.add(report.learningRate, tag: "train/lr", step: report.globalStep)
        case let .epochFinished(report):
            let validation = report.validationLoss.map { String(format: " val %.4f", $0.total) } ?? ""
            let line = String(format: "epoch %d/%d loss %.4f%@ %.1f items/s %.1fs%@", report.epoch, report.epochs,
                              report.trainingLoss.total, validation, report.itemsPerSecond, report.seconds,
                              report.isBest ? " (best)" : "")
            progress?.finishEpoch(itemsDone: itemsDone, loss: report.trainingLoss.total,
                                  extra: validation + (report.isBest ? " best" : ""))
            log?.write(line)
            if let v = report.validationLoss { events?.add(v.total, tag: "val/loss", step: report.globalStep) }
            if report.epoch < report.epochs { progress?.startEpoch(report.epoch + 1) }
            itemsDone = 0
        case let .evaluated(epoch, step, values):
            for (name, value) in values.sorted(by: { $0.key < $1.key }) { events?.add(value, tag: "test/\(name)", step: step) }
            log?.write("epoch \(epoch) test: " + values.sorted(by: { $0.key < $1.key }).map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: ", "))
        case let .checkpointWritten(url):
            log?.write("checkpoint \(url.path)")
        }
    }
}

extension RunConfig {
    /// The file name in a checkpoint folder that `score_checkpoint` picks: best.pt or last.pt.
    public var scoringCheckpointFile: String { scoreCheckpoint == .last ? "last.pt" : "best.pt" }

    /// The checkpoint of `result` that `score_checkpoint` picks for scoring.
    public func scoringCheckpoint(of result: TrainingResult) -> URL {
        scoreCheckpoint == .last ? result.lastCheckpoint : result.bestCheckpoint
    }
}
