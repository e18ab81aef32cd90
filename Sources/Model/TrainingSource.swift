import Features

/// The shape of one network input item.
public struct ItemShape: Codable, Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// Floats per item.
    public var size: Int { channels * height * width }
}

/// Items a CSI network trains and is evaluated on: CIFAR images, music excerpts, anything that can
/// make shifted, augmented views of itself.
///
/// Implementations must be safe to call from several threads at once (each call gets its own
/// generator), which is what lets batches be prepared while the network trains.
public protocol TrainingSource: Sendable {
    /// Number of items.
    var count: Int { get }
    /// Shape of every view.
    var shape: ItemShape { get }
    /// Writes the 2·D training views of `item`: `slots[v * shifts + k]` is view v (0 or 1) with shift k,
    /// each shifted and augmented independently.
    func writeTrainingViews(of item: Int, shifts: Int, generator: inout SeededGenerator,
                            into slots: [UnsafeMutableBufferPointer<Float>])
    /// Writes the clean input of `item`: no shift, no augmentation (the seed's norm score).
    func writeCleanInput(of item: Int, into slot: UnsafeMutableBufferPointer<Float>)
    /// Writes one sample of `item` with shift `shift` for a score: augmented as in training when `augmented`
    /// (CSI's score averages several), else the clean shifted input.
    func writeEvaluationSample(of item: Int, shift: Int, shifts: Int, augmented: Bool, generator: inout SeededGenerator,
                               into slot: UnsafeMutableBufferPointer<Float>)
}

/// A view of some items of another source, by index (training / validation splits).
public struct SubsetSource<Base: TrainingSource>: TrainingSource {
    public let base: Base
    public let indices: [Int]

    public init(_ base: Base, indices: [Int]) {
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var shape: ItemShape { base.shape }

    public func writeTrainingViews(of item: Int, shifts: Int, generator: inout SeededGenerator,
                                   into slots: [UnsafeMutableBufferPointer<Float>]) {
        base.writeTrainingViews(of: indices[item], shifts: shifts, generator: &generator, into: slots)
    }

    public func writeCleanInput(of item: Int, into slot: UnsafeMutableBufferPointer<Float>) {
        base.writeCleanInput(of: indices[item], into: slot)
    }

    public func writeEvaluationSample(of item: Int, shift: Int, shifts: Int, augmented: Bool, generator: inout SeededGenerator,
                                      into slot: UnsafeMutableBufferPointer<Float>) {
        base.writeEvaluationSample(of: indices[item], shift: shift, shifts: shifts, augmented: augmented, generator: &generator, into: slot)
    }
}

/// Splits `count` items into training and validation indices, seeded.
public func validationSplit(count: Int, fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
    var generator = SeededGenerator(seed: seed ^ 0x5EED_5A1D)
    let order = Array(0..<count).shuffled(using: &generator)
    let validationCount = fraction > 0 ? min(count - 1, max(1, Int((Double(count) * fraction).rounded()))) : 0
    return (Array(order[validationCount...]).sorted(), Array(order[..<validationCount]).sorted())
}

/// Assembles CSI's shift-major batch: item b's slot j (view j / D, shift j % D) lands at index j·B + b,
/// so the first half holds view 1, the second view 2, and positives are i and i + N/2.
public enum ShiftMajorBatch {
    /// Builds the batch for `items` of `source`. Item b draws from `generator.derived(b)`, so the
    /// result does not depend on how many threads build it.
    public static func make<Source: TrainingSource>(source: Source, items: [Int], shifts: Int, generator: SeededGenerator,
                                                    threads: Int = 1) -> TrainingBatch {
        make(source: source, items: items, shifts: shifts, generator: generator) { parallelFor($0, threads: threads, $1) }
    }

    /// `make(source:items:shifts:generator:threads:)` with the items built on `workers`.
    static func make<Source: TrainingSource>(source: Source, items: [Int], shifts: Int, generator: SeededGenerator,
                                             workers: WorkerThreads) -> TrainingBatch {
        make(source: source, items: items, shifts: shifts, generator: generator, forEachItem: workers.parallelFor)
    }

    private static func make<Source: TrainingSource>(source: Source, items: [Int], shifts: Int, generator: SeededGenerator,
                                                     forEachItem: (Int, (Int) -> Void) -> Void) -> TrainingBatch {
        let b = items.count, slotsPerItem = 2 * shifts, size = source.shape.size
        let n = b * slotsPerItem
        var input = [Float](repeating: 0, count: n * size)
        input.withUnsafeMutableBufferPointer { buffer in
            let base = SendablePointer(buffer.baseAddress!)
            forEachItem(b) { itemIndex in
                var itemGenerator = generator.derived(UInt64(itemIndex))
                let slots = (0..<slotsPerItem).map { j in
                    UnsafeMutableBufferPointer(start: base.pointer + (j * b + itemIndex) * size, count: size)
                }
                source.writeTrainingViews(of: items[itemIndex], shifts: shifts, generator: &itemGenerator, into: slots)
            }
        }
        let labels = (0..<n).map { Int64(($0 / b) % shifts) }
        return TrainingBatch(input: input, count: n, shiftLabels: labels)
    }
}

/// A raw pointer that may cross into concurrent work on disjoint ranges.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
