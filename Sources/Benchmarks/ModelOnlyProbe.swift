import Dispatch
import Features
import Model

/// The model-only step throughput of a second, untrained copy of the network, measured before and after a
/// training run and, through `interleaved`, between its epochs: this machine's speed drifts by a fifth within
/// minutes (and by more on a busy host), so readings spread through the run follow its speed far better than
/// one reading taken before it.
public final class ModelOnlyProbe {
    private let network: CSINetwork
    private let optimizer: Optimizer
    private let settings: TrainingSettings
    /// Items per second of each measurement, in order.
    public private(set) var readings: [Double] = []

    /// A throwaway network of `spec` with the optimiser `settings` name (the probe trains it).
    public init(spec: NetworkSpec, settings: TrainingSettings) throws {
        network = try CSINetwork(spec: spec)
        optimizer = try Optimizer(network: network, kind: settings.optimizer, learningRate: settings.learningRate,
                                  weightDecay: settings.weightDecay, momentum: settings.momentum)
        self.settings = settings
    }

    /// Times `steps` training steps on one batch of `source` and keeps the reading.
    @discardableResult
    public func measure<Source: TrainingSource>(source: Source, steps: Int) throws -> Double {
        // Only the first reading pays for allocations and oneDNN primitives; later ones need a step to warm caches.
        let reading = try itemsPerSecond(source: source, steps: steps, warmUpSteps: readings.isEmpty ? 3 : 1)
        readings.append(reading)
        return reading
    }

    /// Items per second of the model alone: repeated steps on one prepared batch, no data work.
    private func itemsPerSecond<Source: TrainingSource>(source: Source, steps: Int, warmUpSteps: Int) throws -> Double {
        let items = Array(0..<min(settings.batchSize, source.count))
        let batch = ShiftMajorBatch.make(source: source, items: items, shifts: settings.shifts,
                                         generator: SeededGenerator(seed: settings.seed), threads: settings.dataThreads)
        optimizer.setLearningRate(settings.learningRate / 25)
        // Warm-up: allocations, oneDNN primitives.
        for _ in 0..<warmUpSteps { _ = try network.trainStep(batch, optimizer: optimizer, loss: settings.loss) }
        let start = DispatchTime.now()
        for _ in 0..<steps { _ = try network.trainStep(batch, optimizer: optimizer, loss: settings.loss) }
        return Double(steps * items.count) / seconds(since: start)
    }

    /// `observe`, plus a reading of `steps` steps after every `every`-th epoch but the last (which the reading
    /// after training covers); `every` nil = `interval(epochs:)` of the run. The trainer times an epoch before it
    /// reports it, so readings never count as loop time; with prefetching idle between epochs, a reading has the CPU
    /// to itself.
    public func interleaved<Source: TrainingSource>(
        with observe: @escaping (TrainingEvent) -> Void, source: Source, every: Int? = nil, steps: Int
    ) -> (TrainingEvent) -> Void {
        { [self] event in
            observe(event)
            guard case .epochFinished(let report) = event else { return }
            let every = every ?? Self.interval(epochs: report.epochs)
            guard every > 0, report.epoch % every == 0, report.epoch < report.epochs else { return }
            // A failed reading only leaves the mean to the others; the training run must not stop for it.
            _ = try? measure(source: source, steps: steps)
        }
    }

    /// Epochs between interleaved readings for a run of `epochs`: about eight readings in all.
    public static func interval(epochs: Int) -> Int { max(1, epochs / 8) }

    /// The mean of the readings, nil before the first.
    public var itemsPerSecond: Double? { readings.isEmpty ? nil : readings.reduce(0, +) / Double(readings.count) }
}

/// A probe watching a `TasteTraining` run: `steps` steps before and after it, `interleavedSteps` between epochs.
public final class ModelOnlyProbeObserver: TrainingObserver {
    private let steps: Int
    private let interleavedSteps: Int
    /// Set when training starts, once the network and the training items are known.
    private(set) var probe: ModelOnlyProbe?
    private var readBetweenEpochs: (TrainingEvent) -> Void = { _ in }
    private var measureAgain: () throws -> Void = {}

    /// A probe that reads `steps` steps before and after the run and `interleavedSteps` between its epochs.
    public init(steps: Int, interleavedSteps: Int) {
        self.steps = steps
        self.interleavedSteps = interleavedSteps
    }

    /// Makes the probe for the run's network and takes the first reading.
    public func willTrain<Source: TrainingSource>(spec: NetworkSpec, settings: TrainingSettings, items: Source) throws {
        let probe = try ModelOnlyProbe(spec: spec, settings: settings)
        self.probe = probe
        try probe.measure(source: items, steps: steps)
        readBetweenEpochs = probe.interleaved(with: { _ in }, source: items, steps: interleavedSteps)
        measureAgain = { [steps] in try probe.measure(source: items, steps: steps) }
    }

    /// Reads between epochs (`ModelOnlyProbe.interleaved`).
    public func observe(_ event: TrainingEvent) { readBetweenEpochs(event) }

    /// Takes the reading after training.
    public func didTrain() throws { try measureAgain() }

    /// The mean of the probe's readings; nil when nothing was trained.
    public var itemsPerSecond: Double? { probe?.itemsPerSecond }
}
