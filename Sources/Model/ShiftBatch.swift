import Dispatch
import Features

/// Which view a batch slot holds, with the random streams that decide its augmentation.
public struct ViewSlot: Sendable {
    /// The item's position in the batch (b).
    public let item: Int
    /// 0 for the first view, 1 for the second.
    public let view: Int
    /// The shift k in [0, D) (rotation by k·90°, or noise level k); also the shift label.
    public let shift: Int
    /// Shared by all shifts of this view of this item: for pre-shift choices (the flip, an
    /// audio crop), which CSI makes once per view.
    public let viewRandom: SeededGenerator
    /// This slot's own stream: for everything after the shift.
    public let slotRandom: SeededGenerator
}

/// A CSI training batch in shift-major order: index = j·B + b for slot j in [0, 2D) and item b;
/// slots j < D hold view 1 with shift j, slots j ≥ D view 2 with shift j − D, so the positive of
/// index i is i + N/2 (mod N), N = 2·D·B.
public struct ShiftBatch: Sendable {
    /// All views back to back (N · `viewSize` values), ready to become an N×C×H×W tensor.
    public let inputs: [Float]
    /// The shift label of each view (N values).
    public let shiftLabels: [Int64]
    /// B, the items in the batch.
    public let itemCount: Int
    /// D, the number of shifts.
    public let shiftCount: Int
    /// Values per view (C·H·W).
    public let viewSize: Int

    /// N = 2·D·B.
    public var count: Int { 2 * shiftCount * itemCount }

    /// The slot (view, shift, item) at batch index `index`.
    public func slot(at index: Int) -> (item: Int, view: Int, shift: Int) {
        ShiftBatch.slot(at: index, itemCount: itemCount, shiftCount: shiftCount)
    }

    /// The index of the other view of the same item with the same shift.
    public func positive(of index: Int) -> Int { (index + count / 2) % count }

    static func slot(at index: Int, itemCount: Int, shiftCount: Int) -> (item: Int, view: Int, shift: Int) {
        let j = index / itemCount
        return (index % itemCount, j / shiftCount, j % shiftCount)
    }

    /// Builds a batch of `itemCount` items and `shiftCount` shifts by calling `makeView` once per
    /// slot, on up to `threads` threads. Each slot's random streams are derived from `random`,
    /// `step` and the slot alone, never shared, so the batch is the same for any thread count.
    /// `makeView` must fill the whole `viewSize`-long buffer it is given.
    public static func build(
        itemCount: Int, shiftCount: Int, viewSize: Int, step: UInt64, random: SeededGenerator, threads: Int = 1,
        makeView: @Sendable (ViewSlot, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> ShiftBatch {
        precondition(itemCount > 0 && shiftCount > 0 && viewSize > 0)
        let n = 2 * shiftCount * itemCount
        let stepRandom = random.derived(step)
        let inputs = [Float](unsafeUninitializedCapacity: n * viewSize) { buffer, initialized in
            // Workers write disjoint ranges of one buffer; the pointer is shared only for that.
            nonisolated(unsafe) let base = buffer.baseAddress!
            let workers = max(1, min(threads, n))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in stride(from: worker, to: n, by: workers) {
                    let (item, view, shift) = slot(at: index, itemCount: itemCount, shiftCount: shiftCount)
                    let itemRandom = stepRandom.derived(UInt64(item))
                    let viewRandom = itemRandom.derived(UInt64(view))
                    let slotRandom = viewRandom.derived(1 + UInt64(shift))
                    let output = UnsafeMutableBufferPointer(start: base + index * viewSize, count: viewSize)
                    makeView(ViewSlot(item: item, view: view, shift: shift, viewRandom: viewRandom, slotRandom: slotRandom), output)
                }
            }
            initialized = n * viewSize
        }
        let labels = (0..<n).map { Int64(slot(at: $0, itemCount: itemCount, shiftCount: shiftCount).shift) }
        return ShiftBatch(inputs: inputs, shiftLabels: labels, itemCount: itemCount, shiftCount: shiftCount, viewSize: viewSize)
    }
}
