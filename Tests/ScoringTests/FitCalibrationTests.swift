import XCTest
@testable import Scoring

final class FitCalibrationTests: XCTestCase {
    func testPercentileCountsTiesHalf() throws {
        let calibration = try FitCalibration(scores: [5, 1, 4, 2, 3])
        XCTAssertEqual(calibration.fit(for: 3), 50, accuracy: 1e-12)
        XCTAssertEqual(calibration.fit(for: 2.5), 40, accuracy: 1e-12)
        XCTAssertEqual(calibration.fit(for: 1), 10, accuracy: 1e-12)
        XCTAssertEqual(calibration.fit(for: 6), 100)
        XCTAssertEqual(calibration.fit(for: 0), 0)
        XCTAssertEqual(calibration.fit(for: .infinity), 100)
        XCTAssertEqual(calibration.fit(for: .nan), 0)
    }

    func testEqualScoresAndMedianOfEvenCount() throws {
        let same = try FitCalibration(scores: [2, 2, 2, 2])
        XCTAssertEqual(same.fit(for: 2), 50, accuracy: 1e-12)
        let even = try FitCalibration(scores: [1, 2, 3, 4])
        XCTAssertEqual(even.fit(for: 2.5), 50, accuracy: 1e-12)
        let withTies = try FitCalibration(scores: [1, 2, 2, 3])
        // Below: 1 of 4, equal: 2 of 4 counted half.
        XCTAssertEqual(withTies.fit(for: 2), 50, accuracy: 1e-12)
    }

    func testFitGrowsWithScore() throws {
        var generator = SystemRandomNumberGenerator()
        let scores = (0..<200).map { _ in Double.random(in: -3...3, using: &generator) }
        let calibration = try FitCalibration(scores: scores)
        var previous = -1.0
        for score in stride(from: -4.0, through: 4.0, by: 0.05) {
            let fit = calibration.fit(for: score)
            XCTAssertGreaterThanOrEqual(fit, previous)
            XCTAssert((0...100).contains(fit))
            // Against a plain count, without the binary search.
            let below = scores.filter { $0 < score }.count
            let equal = scores.filter { $0 == score }.count
            XCTAssertEqual(fit, (Double(below) + 0.5 * Double(equal)) / 2, accuracy: 1e-9)
            previous = fit
        }
    }

    func testEmptyOrNonFiniteCalibrationThrows() {
        XCTAssertThrowsError(try FitCalibration(scores: [])) { error in
            XCTAssertEqual(error as? FitCalibration.Error, .noScores)
        }
        XCTAssertThrowsError(try FitCalibration(scores: [.nan, .infinity]))
        XCTAssertEqual(try FitCalibration(scores: [.nan, 1, 3]).sortedScores, [1, 3])
    }
}
