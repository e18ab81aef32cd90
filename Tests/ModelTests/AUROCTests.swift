import XCTest
@testable import Model

final class AUROCTests: XCTestCase {
    func testPerfectAndReversed() {
        XCTAssertEqual(AUROC.area(scores: [0.9, 0.8, 0.1, 0.2], isPositive: [true, true, false, false]), 1)
        XCTAssertEqual(AUROC.area(scores: [0.1, 0.2, 0.9, 0.8], isPositive: [true, true, false, false]), 0)
    }

    func testAllTiedIsOneHalf() {
        XCTAssertEqual(AUROC.area(scores: [1, 1, 1, 1, 1], isPositive: [true, false, true, false, false]), 0.5)
    }

    func testMixedCaseWithTies() {
        // Positives 3, 2, 2; negatives 2, 1. Pairs: (3,2)=1 (3,1)=1 (2,2)=½ (2,1)=1 (2,2)=½ (2,1)=1 → 5/6.
        XCTAssertEqual(AUROC.area(scores: [3, 2, 2, 2, 1], isPositive: [true, true, true, false, false])!, 5.0 / 6, accuracy: 1e-12)
        // No ties: positives 0.8, 0.4; negatives 0.6, 0.2 → pairs won 1 + 1 + 0 + 1 = 3 of 4.
        XCTAssertEqual(AUROC.area(scores: [0.8 as Float, 0.6, 0.4, 0.2], isPositive: [true, false, true, false]), 0.75)
    }

    func testUndefinedCases() {
        XCTAssertNil(AUROC.area(scores: [1, 2], isPositive: [true, true]))
        XCTAssertNil(AUROC.area(scores: [1, .nan], isPositive: [true, false]))
        XCTAssertEqual(AUROC.curve(scores: [1, 2], isPositive: [false, false]), [])
    }

    func testCurveMatchesArea() {
        var random = SystemRandomNumberGenerator()
        let scores = (0..<200).map { _ in Double(Int.random(in: 0..<20, using: &random)) }
        let labels = scores.map { $0 + Double.random(in: -8...8, using: &random) > 10 }
        guard let area = AUROC.area(scores: scores, isPositive: labels) else { return }
        let points = AUROC.curve(scores: scores, isPositive: labels)
        XCTAssertEqual(points.first?.falsePositiveRate, 0)
        XCTAssertEqual(points.last?.truePositiveRate, 1)
        XCTAssertEqual(points.last?.falsePositiveRate, 1)
        let trapezoids = zip(points, points.dropFirst()).map { a, b in
            (b.falsePositiveRate - a.falsePositiveRate) * (a.truePositiveRate + b.truePositiveRate) / 2
        }
        XCTAssertEqual(trapezoids.reduce(0, +), area, accuracy: 1e-9)
    }

    func testCurvePoints() {
        let points = AUROC.curve(scores: [3, 2, 2, 1], isPositive: [true, true, false, false])
        XCTAssertEqual(points.map(\.truePositiveRate), [0, 0.5, 1, 1])
        XCTAssertEqual(points.map(\.falsePositiveRate), [0, 0, 0.5, 1])
        XCTAssertEqual(points.map(\.threshold).dropFirst(), [3, 2, 1])
    }
}
