import Features
import Foundation
import Model

/// Model-only training throughput: optimiser steps on one random batch, no data preparation.
public struct StepBenchmark: Codable, Sendable {
    public var architecture: String
    public var scale: Int
    public var input: [Int]
    public var shifts: Int
    public var batchSize: Int
    public var threads: Int
    public var parameters: Int
    /// Training items per second (each item = 2·D encoder passes).
    public var trainItemsPerSecond: Double
    public var trainPassesPerSecond: Double
    /// Inference encoder passes per second.
    public var inferPassesPerSecond: Double

    /// Measures `steps` training steps and as many inference passes of the same batch.
    public static func run(spec: NetworkSpec, batchSize: Int, steps: Int) throws -> StepBenchmark {
        let network = try CSINetwork(spec: spec)
        let optimizer = try Optimizer(network: network, kind: .adamw, learningRate: 1e-4, weightDecay: 1e-6)
        var generator = SeededGenerator(seed: 1)
        let n = 2 * spec.numShifts * batchSize
        let batch = TrainingBatch(input: (0..<(n * spec.itemSize)).map { _ in generator.uniform(0, 1) }, count: n,
                                  shiftLabels: (0..<n).map { Int64(($0 / batchSize) % spec.numShifts) })
        _ = try network.trainStep(batch, optimizer: optimizer, loss: LossWeights())
        var start = DispatchTime.now()
        for _ in 0..<steps { _ = try network.trainStep(batch, optimizer: optimizer, loss: LossWeights()) }
        let trainSeconds = seconds(since: start)
        _ = try network.forward(batch.input, count: n)
        start = DispatchTime.now()
        for _ in 0..<steps { _ = try network.forward(batch.input, count: n) }
        let inferSeconds = seconds(since: start)
        return StepBenchmark(architecture: spec.architecture, scale: spec.scale,
                             input: [spec.inputChannels, spec.inputHeight, spec.inputWidth], shifts: spec.numShifts,
                             batchSize: batchSize, threads: TorchRuntime.threads, parameters: network.parameterCount,
                             trainItemsPerSecond: Double(steps * batchSize) / trainSeconds,
                             trainPassesPerSecond: Double(steps * n) / trainSeconds,
                             inferPassesPerSecond: Double(steps * n) / inferSeconds)
    }
}
