import Features
import Foundation
import Model

/// A tiny image source for engine tests: item i is a fixed random 1 x s x s pattern; a view adds a
/// little noise and rotates by 90° per shift.
public struct SyntheticSource: TrainingSource {
    let patterns: [[Float]]
    let side: Int
    /// Whether scores may take the clean input's projection from shift 0's (true here: shift 0 rotates nothing).
    public var cleanInputIsShiftZero = false

    public init(count: Int, side: Int = 8, seed: UInt64 = 1) {
        var generator = SeededGenerator(seed: seed)
        patterns = (0..<count).map { _ in (0..<(side * side)).map { _ in generator.uniform(0, 1) } }
        self.side = side
    }

    public var count: Int { patterns.count }
    public var shape: ItemShape { ItemShape(channels: 1, height: side, width: side) }

    public func writeTrainingViews(of item: Int, shifts: Int, generator: inout SeededGenerator,
                            into slots: [UnsafeMutableBufferPointer<Float>]) {
        for (j, slot) in slots.enumerated() {
            writeEvaluationSample(of: item, shift: j % shifts, shifts: shifts, augmented: true, generator: &generator, into: slot)
        }
    }

    public func writeCleanInput(of item: Int, into slot: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<slot.count { slot[i] = patterns[item][i] }
    }

    public func writeEvaluationSample(of item: Int, shift: Int, shifts: Int, augmented: Bool, generator: inout SeededGenerator,
                               into slot: UnsafeMutableBufferPointer<Float>) {
        let noise: Float = augmented ? 0.05 : 0
        for y in 0..<side {
            for x in 0..<side {
                // Rotating the sampling position by 90° per shift.
                var (sy, sx) = (y, x)
                for _ in 0..<shift { (sy, sx) = (side - 1 - sx, sy) }
                slot[y * side + x] = patterns[item][sy * side + sx] + noise * generator.gaussian()
            }
        }
    }
}

/// A small_resnet for 1 x 8 x 8 inputs: trains in milliseconds.
public func tinySpec(shifts: Int = 2) -> NetworkSpec {
    NetworkSpec(architecture: "small_resnet", scale: 1, inputChannels: 1, inputHeight: 8, inputWidth: 8, numShifts: shifts)
}

extension TrainingSettings {
    /// Settings for engine tests on `SyntheticSource`: batches of 4, two shifts, seeded, checkpoints in `folder`.
    public static func tiny(epochs: Int, checkpointFolder folder: URL) -> TrainingSettings {
        TrainingSettings(epochs: epochs, batchSize: 4, learningRate: 1e-3, optimizer: .adamw, usesCosineSchedule: true,
                         warmupEpochs: 1, weightDecay: 1e-4, momentum: 0.9, shifts: 2, loss: LossWeights(), seed: 11,
                         saveCheckpointEvery: 2, evaluateEvery: 0, checkpointFolder: folder, dataThreads: 2)
    }
}
