import Dispatch
import Features
import Foundation
import LibraryScanner

/// How to train: everything the training loop needs, already validated (see `RunConfig`).
public struct TrainingSettings: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var optimizer: Optimizer.Kind
    /// false = the config's `lr_scheduler: null`: a constant learning rate.
    public var usesCosineSchedule: Bool
    public var warmupEpochs: Double
    public var weightDecay: Double
    public var momentum: Double
    /// D: shifts per view (1-4).
    public var shifts: Int
    public var loss: LossWeights
    public var seed: UInt64
    /// Write `last.pt` every N epochs (and after the final one).
    public var saveCheckpointEvery: Int
    /// Run the evaluation callback every N epochs; 0 = never during training.
    public var evaluateEvery: Int
    /// Folder for `best.pt` and `last.pt`.
    public var checkpointFolder: URL
    /// Threads that prepare the next batch while the network trains on the current one.
    public var dataThreads: Int
    /// Whether the next batch is prepared while the network trains on the current one (true), or each batch on
    /// `dataThreads` threads just before its step, with the CPU to itself (false).
    public var prefetchesBatches = true
    /// The scheduling class of the threads that prefetch batches.
    public var prefetchPriority = DataThreadPriority.idle

    public init(epochs: Int, batchSize: Int, learningRate: Double, optimizer: Optimizer.Kind, usesCosineSchedule: Bool,
                warmupEpochs: Double, weightDecay: Double, momentum: Double, shifts: Int, loss: LossWeights, seed: UInt64,
                saveCheckpointEvery: Int, evaluateEvery: Int, checkpointFolder: URL, dataThreads: Int) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.usesCosineSchedule = usesCosineSchedule
        self.warmupEpochs = warmupEpochs
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.shifts = shifts
        self.loss = loss
        self.seed = seed
        self.saveCheckpointEvery = saveCheckpointEvery
        self.evaluateEvery = evaluateEvery
        self.checkpointFolder = checkpointFolder
        self.dataThreads = dataThreads
    }
}

/// What the training loop reports as it goes.
public enum TrainingEvent: Sendable {
    /// Training begins (or resumes) at `epoch` of `epochs`, with `batches` batches per epoch.
    case started(epoch: Int, epochs: Int, batches: Int, items: Int)
    /// One optimiser step finished.
    case step(StepReport)
    /// An epoch finished.
    case epochFinished(EpochReport)
    /// An evaluation during training gave these values (e.g. AUROCs).
    case evaluated(epoch: Int, step: Int, values: [String: Double])
    /// A checkpoint was written.
    case checkpointWritten(URL)
}

/// One step's numbers.
public struct StepReport: Sendable {
    public var epoch: Int
    public var batch: Int
    public var batches: Int
    public var globalStep: Int
    /// Items of this epoch trained so far.
    public var itemsDone: Int
    public var learningRate: Double
    public var loss: LossValues
    /// Training items (before shifting and view duplication) per second so far this epoch.
    public var itemsPerSecond: Double
}

/// One epoch's numbers.
public struct EpochReport: Sendable {
    /// 1-based number of the epoch that finished.
    public var epoch: Int
    public var epochs: Int
    public var globalStep: Int
    public var trainingLoss: LossValues
    public var validationLoss: LossValues?
    public var seconds: Double
    public var itemsPerSecond: Double
    public var isBest: Bool
}

/// The outcome of a training run.
public struct TrainingResult: Sendable {
    public var epochsCompleted: Int
    public var steps: Int
    public var trainingSeconds: Double
    /// Training items per second of the step loop (batch preparation included; validation,
    /// checkpoints and evaluations excluded), over this run's steps.
    public var itemsPerSecond: Double
    /// The share of the step loop's time spent waiting for a batch that was not ready (or, without prefetching,
    /// building it): the part of the loop that data preparation did not hide behind the steps.
    public var dataWaitFraction: Double
    /// The share of batches that normal-priority helpers built from the start, because the loop had stalled on items
    /// idle-priority workers held (`BatchPrefetcher`): how busy the machine looked to the loop; 0 when batches are not
    /// built by idle-priority workers.
    public var helpedBatchFraction = 0.0
    public var bestValidationLoss: Double?
    public var lastCheckpoint: URL
    public var bestCheckpoint: URL
    public var modelID: String
    /// True when `requestStop()` ended the run early; `last.pt` then holds the last finished epoch.
    public var wasStopped: Bool
    /// Ranks that trained together (1 alone), and this one's rank.
    public var worldSize = 1
    public var rank = 0
    /// `CSINetwork.parameterChecksum` of the final parameters: equal on every rank of a group.
    public var parameterChecksum = ""
}

/// CSI's training loop: shift-major batches prepared one step ahead on other threads, the one-cycle
/// schedule stepped every batch, validation loss every epoch, `best`/`last` checkpoints written atomically.
public final class Trainer {
    public let network: CSINetwork
    public let settings: TrainingSettings
    let optimizer: Optimizer
    let configJSON: String
    /// The data-parallel group this rank trains in; nil trains alone.
    public let group: ProcessGroup?
    private let stopLock = NSLock()
    private var stopRequested = false

    /// Creates a trainer for `network`; `configJSON` (the effective config) is stored in every checkpoint.
    ///
    /// With a `group`, the ranks train one model data-parallel: rank 0's parameters are broadcast at the start, each
    /// rank trains on its own shard of every global batch of `batchSize x worldSize` items (`EpochPlan`) and the
    /// gradients are averaged every step. BatchNorm statistics stay local to each rank. Only rank 0 computes the
    /// validation loss, writes checkpoints, runs `evaluate` and reports events to `observe`.
    public init(network: CSINetwork, settings: TrainingSettings, configJSON: String, group: ProcessGroup? = nil) throws {
        precondition(settings.batchSize > 0 && settings.epochs >= 0 && (1...4).contains(settings.shifts))
        self.group = group
        self.network = network
        self.settings = settings
        self.configJSON = configJSON
        optimizer = try Optimizer(network: network, kind: settings.optimizer, learningRate: settings.learningRate,
                                  weightDecay: settings.weightDecay, momentum: settings.momentum)
    }

    /// Asks the loop to stop before its next step (safe from a signal-handling thread). `last.pt` is
    /// written for the epoch in progress only if it had finished; `resume` continues from `last.pt`.
    public func requestStop() { stopLock.withLock { stopRequested = true } }

    private var isStopRequested: Bool { stopLock.withLock { stopRequested } }

    /// Where the checkpoint of each kind goes.
    public var lastCheckpoint: URL { settings.checkpointFolder.appendingPathComponent("last.pt") }
    public var bestCheckpoint: URL { settings.checkpointFolder.appendingPathComponent("best.pt") }

    /// Trains on `train` (validation loss on `validation` when given), resuming from `last.pt` when
    /// `resume` is set. `evaluate` runs every `evaluateEvery` epochs. `observe` sees every event.
    public func run<Train: TrainingSource, Validation: TrainingSource>(
        train: Train, validation: Validation?, resume: Bool,
        evaluate: ((CSINetwork, Int) throws -> [String: Double])? = nil,
        observe report: (TrainingEvent) -> Void
    ) throws -> TrainingResult {
        precondition(train.count > 0, "no training items")
        let plan = EpochPlan(count: train.count, batchSize: settings.batchSize, seed: settings.seed,
                             rank: group?.rank ?? 0, worldSize: group?.worldSize ?? 1)
        let batchesPerEpoch = plan.batchesPerEpoch
        guard batchesPerEpoch > 0 else {
            throw TorchError(code: .invalidArgument, message: "\(train.count) training items cannot give each of \(plan.worldSize) ranks one")
        }
        let isLeader = group?.isLeader ?? true
        // Events are rank 0's alone: it writes the logs.
        func observe(_ event: TrainingEvent) { if isLeader { report(event) } }
        let schedule = LearningRateSchedule(
            peak: settings.learningRate, totalSteps: settings.epochs * batchesPerEpoch,
            warmupSteps: Int((settings.warmupEpochs * Double(batchesPerEpoch)).rounded()),
            isConstant: !settings.usesCosineSchedule)
        // Rank 0 may have had work of its own before training (describing tracks, measuring): wait for it.
        try group?.barrier(timeout: Self.leaderWorkTimeout)
        var state = try resume ? resumedState() : RunState(modelID: UUID().uuidString)
        if let group, resume {
            // Every rank reads last.pt (a checkpoint folder the ranks share) for its optimiser state; they must agree.
            let sums = try group.sum([Double(state.epoch), isLeader ? Double(state.epoch) : 0])
            if sums[0] != sums[1] * Double(group.worldSize) {
                throw DistributedError.startFailed("rank \(group.rank) resumes from epoch \(state.epoch) of \(lastCheckpoint.path), but not every rank found the epoch rank 0 did (\(Int(sums[1]))): the ranks must share one checkpoint folder")
            }
        }
        // Checkpoints are written at epoch ends, so the step follows from the epoch whatever world size wrote them.
        if resume { state.step = state.epoch * batchesPerEpoch }
        try group?.broadcast(network)
        observe(.started(epoch: state.epoch, epochs: settings.epochs, batches: batchesPerEpoch, items: train.count))
        let runStart = DispatchTime.now()
        let prefetcher = BatchPrefetcher(source: train, shifts: settings.shifts, threads: settings.dataThreads,
                                         overlapsTraining: settings.prefetchesBatches, priority: settings.prefetchPriority)

        var trainedItems = 0
        var loopSeconds = 0.0
        var waitSeconds = 0.0
        // A stop request reaches each rank at its own step; in a group the ranks agree on stopping at an epoch's end.
        var groupStops = false
        epochs: while state.epoch < settings.epochs && !groupStops && (group != nil || !isStopRequested) {
            let epochStart = DispatchTime.now()
            let batches = plan.batches(epoch: state.epoch)
            prefetcher.request(items: batches[0].items, generator: stepGenerator(state.step), firstIndex: batches[0].firstIndex)
            var epochLoss = LossValues()
            var done = 0
            for (index, shard) in batches.enumerated() {
                let waitStart = DispatchTime.now()
                let batch = prefetcher.take()
                waitSeconds += seconds(since: waitStart)
                if group == nil && isStopRequested { break epochs }
                if index + 1 < batches.count {
                    prefetcher.request(items: batches[index + 1].items, generator: stepGenerator(state.step + 1),
                                       firstIndex: batches[index + 1].firstIndex)
                }
                let lr = schedule.learningRate(at: state.step)
                optimizer.setLearningRate(lr)
                let loss = try network.trainStep(batch, optimizer: optimizer, loss: settings.loss, group: group,
                                                 gradientWeight: shard.gradientWeight)
                epochLoss.accumulate(loss, weight: Double(shard.globalCount) / Double(train.count))
                state.step += 1
                trainedItems += shard.globalCount
                done += shard.globalCount
                let elapsed = seconds(since: epochStart)
                observe(.step(StepReport(epoch: state.epoch + 1, batch: index + 1, batches: batches.count,
                                         globalStep: state.step, itemsDone: done, learningRate: lr, loss: loss,
                                         itemsPerSecond: Double(done) / max(elapsed, 1e-9))))
            }
            let epochSeconds = seconds(since: epochStart)
            loopSeconds += epochSeconds
            state.epoch += 1
            if isLeader {
                let validationLoss = try validation.flatMap { $0.count > 0 ? try self.validationLoss($0) : nil }
                let criterion = (validationLoss ?? epochLoss).total
                let isBest = state.best.map { criterion < $0 } ?? true
                if isBest { state.best = criterion }
                try writeCheckpoints(state: state, isBest: isBest, observe: observe)
                observe(.epochFinished(EpochReport(epoch: state.epoch, epochs: settings.epochs, globalStep: state.step,
                                                   trainingLoss: epochLoss, validationLoss: validationLoss,
                                                   seconds: epochSeconds, itemsPerSecond: Double(done) / epochSeconds,
                                                   isBest: isBest)))
                if let evaluate, settings.evaluateEvery > 0, state.epoch % settings.evaluateEvery == 0 {
                    observe(.evaluated(epoch: state.epoch, step: state.step, values: try evaluate(network, state.epoch)))
                }
            }
            // The others wait while rank 0 validates, writes and evaluates: that may take far longer than a step.
            if let group {
                try group.barrier(timeout: Self.leaderWorkTimeout)
                groupStops = try group.sum([isStopRequested ? 1 : 0])[0] > 0
            }
        }
        let total = seconds(since: runStart)
        var result = TrainingResult(epochsCompleted: state.epoch, steps: state.step, trainingSeconds: total,
                                    itemsPerSecond: Double(trainedItems) / max(loopSeconds, 1e-9),
                                    dataWaitFraction: waitSeconds / max(loopSeconds, 1e-9), bestValidationLoss: state.best,
                                    lastCheckpoint: lastCheckpoint, bestCheckpoint: bestCheckpoint, modelID: state.modelID,
                                    wasStopped: isStopRequested || groupStops)
        result.helpedBatchFraction = Double(prefetcher.helpedBatches) / Double(max(1, prefetcher.requestedBatches))
        result.worldSize = group?.worldSize ?? 1
        result.rank = group?.rank ?? 0
        result.parameterChecksum = network.parameterChecksum
        return result
    }

    /// Seconds the other ranks wait at an epoch's end for rank 0's validation, checkpoints and evaluation. A rank 0
    /// that dies meanwhile is noticed at once (its connections close); only a hung one takes this long.
    public static var leaderWorkTimeout: Double { 6 * 3600 }

    // MARK: - Pieces of the loop

    private struct RunState {
        var modelID: String
        var epoch = 0
        var step = 0
        var best: Double?
    }

    private func resumedState() throws -> RunState {
        let meta = try Checkpoint.metadata(at: lastCheckpoint)
        guard meta.spec == network.spec else {
            throw TorchError(code: .mismatch, message: "cannot resume from \(lastCheckpoint.path): it holds a \(meta.spec.architecture) scale \(meta.spec.scale) network with \(meta.spec.numShifts) shifts, the config asks for \(network.spec.architecture) scale \(network.spec.scale) with \(network.spec.numShifts)")
        }
        try Checkpoint.loadWeights(into: network, optimizer: optimizer, from: lastCheckpoint)
        return RunState(modelID: meta.modelID, epoch: meta.epoch, step: meta.step, best: meta.bestValidationLoss)
    }

    private func stepGenerator(_ step: Int) -> SeededGenerator {
        SeededGenerator(seed: settings.seed ^ 0xDA7A).derived(UInt64(step))
    }

    /// Mean validation loss with a fixed generator, so epochs are compared on the same views.
    private func validationLoss<Source: TrainingSource>(_ source: Source) throws -> LossValues {
        var mean = LossValues()
        for start in stride(from: 0, to: source.count, by: settings.batchSize) {
            let items = Array(start..<min(source.count, start + settings.batchSize))
            let batch = ShiftMajorBatch.make(source: source, items: items, shifts: settings.shifts,
                                             generator: SeededGenerator(seed: settings.seed ^ 0x7A11).derived(UInt64(start)),
                                             threads: settings.dataThreads)
            mean.accumulate(try network.evalLoss(batch, loss: settings.loss), weight: Double(items.count) / Double(source.count))
        }
        return mean
    }

    private func writeCheckpoints(state: RunState, isBest: Bool, observe: (TrainingEvent) -> Void) throws {
        let meta = CheckpointMetadata(modelID: state.modelID, spec: network.spec, epoch: state.epoch, step: state.step,
                                      bestValidationLoss: state.best, config: configJSON)
        var targets: [URL] = []
        if state.epoch == settings.epochs || state.epoch % max(1, settings.saveCheckpointEvery) == 0 {
            targets.append(lastCheckpoint)
        }
        if isBest { targets.append(bestCheckpoint) }
        for url in targets {
            try Checkpoint.save(network: network, optimizer: optimizer, metadata: meta, to: url)
            observe(.checkpointWritten(url))
        }
    }
}

/// Seconds from `start` until now, on the monotonic clock.
public func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Prepares the next batch on worker threads of its own (by default at idle priority, see `WorkerThreads`) while
/// the current one trains, or, when it does not `overlapsTraining`, builds each batch when it is taken, on
/// Dispatch's pool with the CPU to itself.
///
/// On an idle machine the idle-priority workers build batches in the time torch's threads leave free; when a batch is
/// late, the loop and normal-priority helpers build what is left while torch waits, with the cores to themselves,
/// which costs the steps less than building batches beside them. Next to programs that keep every core busy the idle
/// workers get no CPU at all, and an item one of them had claimed holds the loop up for as long as the others run: so
/// once a batch stalls like that (`BusyMachineDetector`), the helpers instead of the workers build each batch as soon
/// as it is requested, in step with the training, as normal-priority workers would, until batches come calmly again.
final class BatchPrefetcher<Source: TrainingSource>: @unchecked Sendable {
    private let source: Source
    private let shifts: Int
    private let threads: Int
    /// Build the prefetched batches; nil without overlap.
    private let workers: WorkerThreads?
    /// Help a waiting loop finish a batch when the workers are at idle priority; nil otherwise.
    private let helpers: WorkerThreads?
    /// Whether the helpers rather than the workers build each batch as soon as it is requested.
    private var help = BusyMachineDetector()
    /// Batches requested so far, and those the helpers built from the start.
    private(set) var requestedBatches = 0
    private(set) var helpedBatches = 0
    /// Requested batches, oldest first, with when they were requested (used only by the training loop's thread).
    private var pending: [(batch: UnfinishedBatch<Source>, loop: SharedLoop?, requested: DispatchTime)] = []

    init(source: Source, shifts: Int, threads: Int, overlapsTraining: Bool = true, priority: DataThreadPriority = .idle) {
        self.source = source
        self.shifts = shifts
        self.threads = threads
        workers = overlapsTraining ? WorkerThreads(count: threads, priority: priority) : nil
        helpers = overlapsTraining && priority == .idle ? WorkerThreads(count: threads, priority: .normal) : nil
    }

    /// Starts building a batch (or, without overlap, queues the request); batches come out of `take()` in
    /// request order.
    func request(items: [Int], generator: SeededGenerator, firstIndex: Int = 0) {
        let batch = UnfinishedBatch(source: source, items: items, shifts: shifts, generator: generator, firstIndex: firstIndex)
        requestedBatches += 1
        // On a busy machine the helpers build the batch alone: an idle-priority worker that had claimed an item would
        // finish it only when a core falls idle, and the loop would wait for that one item.
        let builders = help.isBusy && helpers != nil ? helpers : workers
        if builders !== workers { helpedBatches += 1 }
        let loop = builders?.start(batch.itemCount) { batch.writeItem($0) }
        pending.append((batch, loop, .now()))
    }

    /// The oldest requested batch: helps the workers finish it (without overlap: builds it now, on `threads` threads).
    func take() -> TrainingBatch {
        let (batch, loop, requested) = pending.removeFirst()
        if let loop {
            let stepSeconds = seconds(since: requested)
            if loop.hasUnclaimed { helpers?.join(loop) }
            help.record(stallSeconds: loop.helpUntilDone(), stepSeconds: stepSeconds)
        } else {
            parallelFor(batch.itemCount, threads: threads) { batch.writeItem($0) }
        }
        return batch.finished()
    }
}

/// Tells a machine too busy for idle-priority batch builders from an idle one by how long the loop, having built what
/// was left of a batch, still waited for the items those builders had claimed. Measured on two cores (music, 32-item
/// batches of about 0.7 s steps): at most 16 ms alone and 47 ms beside two nice-19 busy loops, where the idle builders
/// still get the moments torch's threads sleep, but up to 3 s (median 1 s) beside two nice-0 loops, where they get
/// nothing.
struct BusyMachineDetector {
    private(set) var isBusy = false
    private var calmInARow = 0
    /// A wait for claimed items longer than this share of the step before it marks the machine busy.
    static let stallShareForBusy = 0.25
    /// Batches without such a wait after which the idle-priority builders get another try.
    static let calmInARowForIdle = 32

    /// Takes note of one batch taken: `stallSeconds` the loop waited for items other threads had claimed, and
    /// `stepSeconds` from the batch's request to its taking (the step in between). A batch requested no step
    /// earlier (an epoch's first) says nothing about the machine.
    mutating func record(stallSeconds: Double, stepSeconds: Double) {
        guard stepSeconds > 0.01 else { return }
        if stallSeconds > Self.stallShareForBusy * stepSeconds {
            isBusy = true
            calmInARow = 0
        } else if isBusy {
            calmInARow += 1
            if calmInARow >= Self.calmInARowForIdle {
                isBusy = false
                calmInARow = 0
            }
        }
    }
}

/// Which items each rank trains on in each step of an epoch.
///
/// An epoch is a seeded shuffle of all items that depends only on seed and epoch (so a resumed run sees the same
/// order as an uninterrupted one), cut into global batches of `batchSize x worldSize` items; rank r takes the r-th of
/// `worldSize` equal slices of each. A final global batch too small to give every rank an item is left out of the
/// epoch (only with more than one rank). Alone, this is plain batches of `batchSize`.
public struct EpochPlan: Sendable {
    /// One rank's part of one global batch.
    public struct Shard: Sendable, Equatable {
        /// Item indices this rank trains on.
        public var items: [Int]
        /// Position of `items[0]` in the global batch: the index its augmentation generator is derived from, so that
        /// a rank's views equal those one process training the whole global batch would make.
        public var firstIndex: Int
        /// Items of the global batch, over all ranks.
        public var globalCount: Int
        /// This rank's items over the mean items per rank: its gradient's weight in the average.
        public var gradientWeight: Double
    }

    /// Items in the epoch, and each rank's batch size.
    public let count: Int
    public let batchSize: Int
    /// The shuffle's seed (with the epoch).
    public let seed: UInt64
    /// This rank, and the ranks that share each global batch.
    public let rank: Int
    public let worldSize: Int

    /// A plan for `rank` of `worldSize` (alone: rank 0 of 1).
    public init(count: Int, batchSize: Int, seed: UInt64, rank: Int = 0, worldSize: Int = 1) {
        precondition(count >= 0 && batchSize > 0 && worldSize > 0 && (0..<worldSize).contains(rank))
        self.count = count
        self.batchSize = batchSize
        self.seed = seed
        self.rank = rank
        self.worldSize = worldSize
    }

    private var globalBatchSize: Int { batchSize * worldSize }

    /// Steps per epoch (the same on every rank).
    public var batchesPerEpoch: Int {
        let full = count / globalBatchSize, rest = count % globalBatchSize
        return full + (rest >= worldSize ? 1 : 0)
    }

    /// This rank's shard of each of the epoch's global batches.
    public func batches(epoch: Int) -> [Shard] {
        var generator = SeededGenerator(seed: seed).derived(UInt64(epoch))
        let order = Array(0..<count).shuffled(using: &generator)
        return (0..<batchesPerEpoch).map { b in
            let start = b * globalBatchSize, global = min(count, start + globalBatchSize) - start
            let lower = rank * global / worldSize, upper = (rank + 1) * global / worldSize
            return Shard(items: Array(order[(start + lower)..<(start + upper)]), firstIndex: lower, globalCount: global,
                         gradientWeight: Double(upper - lower) * Double(worldSize) / Double(global))
        }
    }
}
