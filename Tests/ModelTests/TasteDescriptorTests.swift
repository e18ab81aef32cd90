import Features
import Foundation
import LibraryScanner
import TestSupport
import XCTest
@testable import Model

/// The density over liked tracks, the ranking that blends scores, and precision at 10.
final class TasteDescriptorTests: XCTestCase {
    private func unit(_ v: [Float]) -> [Float] {
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }

    func testDensityIsHigherNearTheLikedTracks() {
        let liked = [[1, 0.1, 0], [1, -0.1, 0], [1, 0, 0.1]].map { unit($0) }
        let density = LikedDensityScore(liked: liked)
        XCTAssertGreaterThan(density.score(unit([1, 0, 0])), density.score(unit([0.5, 0.5, 0])))
        XCTAssertGreaterThan(density.score(unit([0.5, 0.5, 0])), density.score(unit([0, 0, 1])))
        // A liked track left out scores against the other two only: lower than with itself in.
        XCTAssertLessThan(density.leaveOneOutScores()[0], density.score(liked[0]))
        XCTAssertEqual(density.leaveOneOutScores()[0], density.score(liked[0], excluding: 0))
    }

    func testDensityWidthFollowsTheLikedSpread() {
        let tight = LikedDensityScore(liked: [[1, 0.01], [1, -0.01]].map { unit($0) })
        let wide = LikedDensityScore(liked: [[1, 0.5], [1, -0.5]].map { unit($0) })
        XCTAssertGreaterThan(tight.gamma, wide.gamma * 100)
    }

    func testBlendStandardisesEachScoreByTheLikedTracks() {
        let ranking = TasteRanking(kind: .blend, descriptorCalibration: [1, 3], csiCalibration: [10, 30])
        // (2 - 2) / 1 and (40 - 20) / 10: the mean of 0 and 2.
        XCTAssertEqual(ranking.score(descriptor: 2, csi: 40), 1, accuracy: 1e-12)
        XCTAssertEqual(ranking.score(descriptor: 3, csi: nil), 1, accuracy: 1e-12, "without a network the descriptor alone")
        XCTAssertEqual(TasteRanking(kind: .descriptor, descriptorCalibration: [1, 3], csiCalibration: []).score(descriptor: 2.5, csi: 9), 2.5)
        XCTAssertEqual(TasteRanking(kind: .csi, descriptorCalibration: [], csiCalibration: []).score(descriptor: 2.5, csi: 9), 9)
    }

    func testDislikesLowerTheScoresNearThem() {
        let liked = [[1, 0.1, 0], [1, -0.1, 0], [1, 0, 0.1]].map { unit($0) }
        let dislike = unit([0.2, 1, 0])
        let plain = TasteDensity(liked: liked, disliked: [])
        let withDislike = TasteDensity(liked: liked, disliked: [dislike])
        XCTAssertNil(plain.blocks[0].disliked)
        XCTAssertEqual(withDislike.blocks[0].disliked?.gamma, withDislike.blocks[0].liked.gamma, "one kernel width for both")
        let nearDislike = unit([0.21, 1, 0]), nearLiked = unit([1, 0, 0])
        XCTAssertLessThan(withDislike.score(nearDislike), plain.score(nearDislike) - 1)
        XCTAssertEqual(withDislike.score(nearLiked), plain.score(nearLiked), accuracy: 0.01, "far from the dislike, almost unchanged")
        XCTAssertEqual(withDislike.score(unit([0, 0, 1])), plain.score(unit([0, 0, 1])), accuracy: 0.01,
                       "far from both: no reward for being far from the dislike")
        XCTAssertEqual(plain.leaveOneOutScores(), LikedDensityScore(liked: liked).leaveOneOutScores())
    }

    func testMusicInGeneralLowersTheScoresWhereItIsDense() {
        let liked = [[1, 0.1, 0], [1, -0.1, 0], [1, 0, 0.1], [0, 1, 0.1], [0, 1, -0.1]].map { unit($0) }
        let background = [[1, 0.05, 0], [1, -0.05, 0], [1, 0, 0.05], [1, 0, -0.05]].map { unit($0) }
        let plain = TasteDensity(liked: liked, disliked: [])
        let general = TasteDensity(liked: liked, disliked: [], background: background)
        XCTAssertNil(plain.blocks[0].background)
        XCTAssertEqual(general.blocks[0].background?.gamma, general.blocks[0].liked.gamma, "one kernel width for both")
        let common = unit([1, 0, 0]), particular = unit([0, 1, 0])
        XCTAssertGreaterThan(plain.score(common), plain.score(particular), "by the liked tracks alone the common one wins")
        XCTAssertGreaterThan(general.score(particular), general.score(common), "where all music sits counts for less")
        let expected = general.blocks[0].liked.score(common) - TasteDensity.backgroundWeight * general.blocks[0].background!.score(common)
        XCTAssertEqual(general.score(common), expected, accuracy: 1e-12)
    }

    func testBlocksOfAnEmbeddingAddTheirWeightedLogDensities() {
        let first = [[1, 0.1, 0], [1, -0.1, 0], [1, 0, 0.1]].map { unit($0) }
        let second = [[0, 1, 0.2], [0.3, 1, 0], [0, 1, -0.2]].map { unit($0) }
        let background = [[0.5, 0.5, 0], [0, 0.5, 0.5]].map { unit($0) }
        let joined = zip(first, second).map { $0 + $1 }
        let blocks = [DensityBlock(range: 0..<3, weight: 1), DensityBlock(range: 3..<6, weight: 0.75)]
        let density = TasteDensity(liked: joined, disliked: [], background: background.map { $0 + $0 }, blocks: blocks)
        let alone = (TasteDensity(liked: first, disliked: [], background: background),
                     TasteDensity(liked: second, disliked: [], background: background))
        XCTAssertEqual(density.blocks[1].liked.gamma, alone.1.blocks[0].liked.gamma, accuracy: 1e-9, "each block its own kernel width")
        let track = (unit([1, 0.05, 0]), unit([0.1, 1, 0]))
        XCTAssertEqual(density.score(track.0 + track.1), alone.0.score(track.0) + 0.75 * alone.1.score(track.1), accuracy: 1e-9)
        XCTAssertEqual(density.leaveOneOutScores()[2], alone.0.leaveOneOutScores()[2] + 0.75 * alone.1.leaveOneOutScores()[2], accuracy: 1e-9)
    }

    func testASpaceFromAnotherDescriptorOrCodebookIsRefusedWithWhatToDo() throws {
        let folder = try makeTemporaryDirectory()
        let path = folder.appendingPathComponent("space.json").path
        try DescriptorSpace.builtIn.save(to: path)
        XCTAssertEqual(try DescriptorSpace.load(from: path).embeddingDimension, 64, "the built-in space reads back whole")

        var shorter = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        shorter["mean"] = [Float](repeating: 0, count: 100)
        try JSONSerialization.data(withJSONObject: shorter).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try DescriptorSpace.load(from: path)) { error in
            XCTAssertTrue("\(error)".contains("descriptors of 100 values") && "\(error)".contains("tunescore pretrain"), "\(error)")
        }

        var space = DescriptorSpace.builtIn
        space.patchCode?.projection.removeLast(32)
        try space.save(to: path)
        XCTAssertThrowsError(try DescriptorSpace.load(from: path), "a code space that does not fit its codebook") { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }
}
