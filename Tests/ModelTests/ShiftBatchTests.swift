import Features
import XCTest
@testable import Model

final class ShiftBatchTests: XCTestCase {
    func testLayoutLabelsAndPositives() {
        let batch = ShiftBatch.build(itemCount: 3, shiftCount: 4, viewSize: 3, step: 0, random: SeededGenerator(seed: 1)) { slot, out in
            out[0] = Float(slot.item)
            out[1] = Float(slot.view)
            out[2] = Float(slot.shift)
        }
        XCTAssertEqual(batch.count, 24)
        XCTAssertEqual(batch.inputs.count, 72)
        for index in 0..<24 {
            let j = index / 3, b = index % 3
            let values = Array(batch.inputs[(index * 3)..<(index * 3 + 3)])
            XCTAssertEqual(values, [Float(b), Float(j / 4), Float(j % 4)], "index \(index)")
            XCTAssertEqual(batch.shiftLabels[index], Int64(j % 4))
            let positive = batch.positive(of: index)
            XCTAssertEqual(positive, (index + 12) % 24)
            let (p, q) = (batch.slot(at: index), batch.slot(at: positive))
            XCTAssertEqual(p.item, q.item)
            XCTAssertEqual(p.shift, q.shift)
            XCTAssertNotEqual(p.view, q.view)
        }
        XCTAssertEqual(batch.shiftLabels.prefix(12), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    }

    private func randomBatch(threads: Int, step: UInt64) -> ShiftBatch {
        ShiftBatch.build(itemCount: 5, shiftCount: 4, viewSize: 4, step: step, random: SeededGenerator(seed: 42), threads: threads) { slot, out in
            var viewRandom = slot.viewRandom, slotRandom = slot.slotRandom
            out[0] = Float(viewRandom.next() % 1000)
            for i in 1..<4 { out[i] = slotRandom.uniform(0, 1) }
        }
    }

    func testSameBatchForAnyThreadCount() {
        let single = randomBatch(threads: 1, step: 3)
        XCTAssertEqual(randomBatch(threads: 2, step: 3).inputs, single.inputs)
        XCTAssertEqual(randomBatch(threads: 7, step: 3).inputs, single.inputs)
        XCTAssertNotEqual(randomBatch(threads: 1, step: 4).inputs, single.inputs, "another step, another batch")
    }

    func testViewStreamIsSharedAcrossShiftsOnly() {
        let batch = randomBatch(threads: 2, step: 0)
        func first(_ index: Int) -> Float { batch.inputs[index * 4] }
        func rest(_ index: Int) -> [Float] { Array(batch.inputs[(index * 4 + 1)..<(index * 4 + 4)]) }
        // Item 0: indices 0, 5, 10, 15 are view 1 shifts 0–3; 20, 25, 30, 35 view 2.
        XCTAssertEqual(Set([0, 5, 10, 15].map(first)).count, 1, "one flip decision per view")
        XCTAssertNotEqual(first(0), first(20))
        XCTAssertNotEqual(first(0), first(1), "items differ")
        XCTAssertEqual(Set([0, 5, 10, 15, 20].map(rest)).count, 5, "every slot has its own stream")
    }
}
