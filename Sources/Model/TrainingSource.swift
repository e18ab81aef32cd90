import Features
import LibraryScanner

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
    /// Writes the clean shifted inputs of `item` for every shift at once (`slots[k]` with shift k, its randomness from
    /// `generators[k]`), as `writeEvaluationSample` would one by one: a source whose shifts are flips of one image
    /// computes that image once.
    func writeCleanShiftedInputs(of item: Int, generators: [SeededGenerator], into slots: [UnsafeMutableBufferPointer<Float>])
    /// True when shift 0's clean input is the clean input (`writeCleanInput`), so a score reuses its forward pass.
    var cleanInputIsShiftZero: Bool { get }
}

extension TrainingSource {
    public func writeCleanShiftedInputs(of item: Int, generators: [SeededGenerator], into slots: [UnsafeMutableBufferPointer<Float>]) {
        for (shift, slot) in slots.enumerated() {
            var generator = generators[shift]
            writeEvaluationSample(of: item, shift: shift, shifts: slots.count, augmented: false, generator: &generator, into: slot)
        }
    }

    public var cleanInputIsShiftZero: Bool { false }
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

    public func writeCleanShiftedInputs(of item: Int, generators: [SeededGenerator], into slots: [UnsafeMutableBufferPointer<Float>]) {
        base.writeCleanShiftedInputs(of: indices[item], generators: generators, into: slots)
    }

    public var cleanInputIsShiftZero: Bool { base.cleanInputIsShiftZero }
}

/// Splits `count` items into training and validation indices, seeded.
public func validationSplit(count: Int, fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
    var generator = SeededGenerator(seed: seed ^ 0x5EED_5A1D)
    let order = Array(0..<count).shuffled(using: &generator)
    let validationCount = fraction > 0 ? min(count - 1, max(1, Int((Double(count) * fraction).rounded()))) : 0
    return (Array(order[validationCount...]).sorted(), Array(order[..<validationCount]).sorted())
}

/// At most `limit` items of `source` (0 = all), a seeded choice.
public func limitedSubset<Items: TrainingSource>(_ source: Items, to limit: Int, seed: UInt64) -> SubsetSource<Items> {
    guard limit > 0, limit < source.count else { return SubsetSource(source, indices: Array(0..<source.count)) }
    var generator = SeededGenerator(seed: seed ^ 0x4EF)
    return SubsetSource(source, indices: Array(0..<source.count).shuffled(using: &generator).prefix(limit).sorted())
}

/// Assembles CSI's shift-major batch: item b's slot j (view j / D, shift j % D) lands at index j·B + b,
/// so the first half holds view 1, the second view 2, and positives are i and i + N/2.
public enum ShiftMajorBatch {
    /// Builds the batch for `items` of `source`. Item b draws from `generator.derived(b)`, so the
    /// result does not depend on how many threads build it.
    public static func make<Source: TrainingSource>(source: Source, items: [Int], shifts: Int, generator: SeededGenerator,
                                                    threads: Int = 1) -> TrainingBatch {
        let batch = UnfinishedBatch(source: source, items: items, shifts: shifts, generator: generator)
        parallelFor(batch.itemCount, threads: threads) { batch.writeItem($0) }
        return batch.finished()
    }
}

/// A shift-major batch being written: its buffer, and how to write each item, so that several threads (the data
/// workers and a training loop waiting for them) can share its items.
final class UnfinishedBatch<Source: TrainingSource>: @unchecked Sendable {
    private let source: Source
    private let items: [Int]
    private let shifts: Int
    private let generator: SeededGenerator
    /// Added to an item's index before deriving its generator: a rank's shard of a global batch starts there.
    private let firstIndex: Int
    private let input: UnsafeMutableBufferPointer<Float>
    private var isFinished = false

    init(source: Source, items: [Int], shifts: Int, generator: SeededGenerator, firstIndex: Int = 0) {
        self.firstIndex = firstIndex
        self.source = source
        self.items = items
        self.shifts = shifts
        self.generator = generator
        input = .allocate(capacity: items.count * 2 * shifts * source.shape.size)
        input.initialize(repeating: 0)
    }

    deinit { input.deallocate() }

    var itemCount: Int { items.count }

    /// Writes item `itemIndex`'s 2·D views into their slots (each index once, from any thread).
    func writeItem(_ itemIndex: Int) {
        let b = items.count, size = source.shape.size
        var itemGenerator = generator.derived(UInt64(firstIndex + itemIndex))
        let slots = (0..<(2 * shifts)).map { j in
            UnsafeMutableBufferPointer(rebasing: input[((j * b + itemIndex) * size)..<((j * b + itemIndex + 1) * size)])
        }
        source.writeTrainingViews(of: items[itemIndex], shifts: shifts, generator: &itemGenerator, into: slots)
    }

    /// The batch, once every item is written.
    func finished() -> TrainingBatch {
        precondition(!isFinished, "a batch is finished once")
        isFinished = true
        let n = items.count * 2 * shifts
        return TrainingBatch(input: Array(input), count: n, shiftLabels: (0..<n).map { Int64(($0 / items.count) % shifts) })
    }
}

/// A raw pointer that may cross into concurrent work on disjoint ranges.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
