import Foundation

/// The seed's "cosine" schedule: a one-cycle schedule stepped every batch. It warms up from lr/25 to
/// lr over the warm-up steps, then anneals along a cosine to lr/(25*1e4) at the last step; both phases
/// follow a cosine, as PyTorch's OneCycleLR with `anneal_strategy="cos"` does. `nil` schedule = constant lr.
public struct LearningRateSchedule: Equatable, Sendable {
    public let peak: Double
    public let totalSteps: Int
    public let warmupSteps: Int
    public let isConstant: Bool

    public init(peak: Double, totalSteps: Int, warmupSteps: Int, isConstant: Bool = false) {
        self.peak = peak
        self.totalSteps = max(1, totalSteps)
        self.warmupSteps = min(max(0, warmupSteps), max(1, totalSteps) - 1)
        self.isConstant = isConstant
    }

    public var initial: Double { peak / 25 }
    public var final: Double { initial / 1e4 }

    /// The learning rate to use for optimiser step `step` (0-based).
    public func learningRate(at step: Int) -> Double {
        if isConstant { return peak }
        if step < warmupSteps {
            return anneal(from: initial, to: peak, fraction: Double(step) / Double(warmupSteps))
        }
        let remaining = max(1, totalSteps - 1 - warmupSteps)
        let fraction = min(1, Double(step - warmupSteps) / Double(remaining))
        return anneal(from: peak, to: final, fraction: fraction)
    }

    private func anneal(from start: Double, to end: Double, fraction: Double) -> Double {
        end + (start - end) / 2 * (1 + cos(Double.pi * fraction))
    }
}
