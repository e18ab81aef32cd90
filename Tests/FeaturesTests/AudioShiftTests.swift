import TestSupport
import XCTest
@testable import Features

final class AudioShiftTests: XCTestCase {
    func testShiftZeroIsClean() {
        var generator = SeededGenerator(seed: 1)
        let clean = Signals.sine(frequency: 440, count: 43_740)
        XCTAssertEqual(AudioShift(shiftCount: 4).shifted(clean, shift: 0, using: &generator), clean)
    }

    func testNoiseLevelOfEachShiftOfFourIsInItsRange() {
        let shifts = AudioShift(shiftCount: 4)
        let clean = Signals.sine(frequency: 440, count: 43_740)
        let cleanStd = Signals.standardDeviation(clean)
        let expected: [ClosedRange<Double>] = [1e-4...1e-3, 1e-3...1e-2, 1e-2...1e-1]
        for k in 1...3 {
            var levels: [Double] = []
            for seed in 0..<20 {
                var generator = SeededGenerator(seed: UInt64(seed))
                let shifted = shifts.shifted(clean, shift: k, using: &generator)
                XCTAssertEqual(shifted.count, clean.count)
                levels.append(Signals.standardDeviation(zip(shifted, clean).map { $0 - $1 }) / cleanStd)
            }
            let range = expected[k - 1]
            // 43740 noise samples estimate the std to within about 1 %.
            for level in levels {
                XCTAssertTrue((range.lowerBound * 0.97...range.upperBound * 1.03).contains(level), "k=\(k) level \(level)")
            }
            XCTAssertGreaterThan(levels.max()! / levels.min()!, 1.5, "levels should vary over the range for k=\(k)")
        }
    }

    func testRangesPerShiftCount() {
        XCTAssertEqual(AudioShift(shiftCount: 2).noiseScaleRange(shift: 1), 0.001...0.1)
        XCTAssertEqual(AudioShift(shiftCount: 3).noiseScaleRange(shift: 2), 1e-3...1e-2)
        XCTAssertNil(AudioShift(shiftCount: 1).noiseScaleRange(shift: 0))
    }

    func testSameSeedSameNoise() {
        let clean = Signals.sine(frequency: 440, count: 43_740)
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9), c = SeededGenerator(seed: 10)
        let shifts = AudioShift(shiftCount: 2)
        let first = shifts.shifted(clean, shift: 1, using: &a)
        XCTAssertEqual(first, shifts.shifted(clean, shift: 1, using: &b))
        XCTAssertNotEqual(first, shifts.shifted(clean, shift: 1, using: &c))
    }
}
