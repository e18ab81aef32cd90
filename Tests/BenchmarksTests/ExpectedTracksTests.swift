import Foundation
import LibraryScanner
import Scoring
import XCTest
@testable import Benchmarks

/// `report --expected`: the AUROC, the ROC curve and precision at 10 of the tracks below the expected folders.
final class ExpectedTracksTests: XCTestCase {
    private func ranked(_ entries: [(String, Double)]) -> [ScoredTrack] {
        entries.map { path, score in
            ScoredTrack(path: RawPath(path), size: 1, modificationTimeNs: 1, modelID: "m", norm: 0, csi: score, score: score,
                        fit: 50, excerptCount: 1, scoredAt: Date())
        }
    }

    func testAurocCurveAndPrecisionOfTheExpectedFolder() throws {
        // Ranked best first; the expected tracks come first, third and fourth.
        let tracks = ranked([("/m/near/a", 0.9), ("/m/far/b", 0.8), ("/m/near/c", 0.7), ("/m/near/d", 0.6), ("/m/far/e", 0.1)])
        let measured = try XCTUnwrap(ExpectedTracks(ranked: tracks, expected: [RawPath("/m/near")]))
        XCTAssertEqual(measured.expectedCount, 3)
        XCTAssertEqual(measured.otherCount, 2)
        XCTAssertEqual(measured.auroc, 4.0 / 6.0, accuracy: 1e-12, "of 6 pairs the expected track ranks higher in 4")
        XCTAssertEqual(measured.top, 5, "fewer than ten ranked: all of them")
        XCTAssertEqual(measured.precision, 0.6, accuracy: 1e-12)
        XCTAssertEqual(measured.section.aurocs.map(\.name), ["expected tracks vs the rest"])
        XCTAssertEqual(measured.section.aurocs[0].value, measured.auroc)
        XCTAssertEqual(measured.section.roc.last?.fpr, 1)
        XCTAssertEqual(measured.section.roc.last?.tpr, 1)
        XCTAssertEqual(measured.summary, [
            "AUROC 0.667: 3 expected tracks vs 2 others (1.0 = every expected track ranks above every other)",
            "precision at 5 0.60: 3 of the 5 best fits are expected tracks",
        ])
    }

    func testNothingToMeasureWithoutTracksOnBothSides() {
        let tracks = ranked([("/m/near/a", 0.9), ("/m/near/b", 0.5)])
        XCTAssertNil(ExpectedTracks(ranked: tracks, expected: [RawPath("/m/near")]))
        XCTAssertNil(ExpectedTracks(ranked: tracks, expected: [RawPath("/elsewhere")]))
    }
}
