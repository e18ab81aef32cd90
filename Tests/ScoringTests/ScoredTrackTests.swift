import Foundation
import LibraryScanner
import XCTest
@testable import Scoring

final class ScoredTrackTests: XCTestCase {
    static func track(_ path: RawPath, title: String? = "T", artist: String? = "A") -> ScoredTrack {
        ScoredTrack(path: path, size: 10, modificationTimeNs: 20, modelID: "m1", title: title, artist: artist,
                    album: "Al", duration: 61.5, norm: 1.25, csi: -0.5, fit: 42, excerptCount: 3,
                    reasons: [.init(likedTrack: "X", similarity: 0.9)], scoredAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    func testCodableKeepsNonUTF8PathBytes() throws {
        let odd = RawPath(bytes: Array("/m/a".utf8) + [0xFF, 0xFE] + Array(".mp3".utf8))
        for path in [odd, RawPath("/m/é 日本.flac")] {
            let track = Self.track(path)
            let data = try JSONEncoder().encode(track)
            XCTAssertEqual(try JSONDecoder().decode(ScoredTrack.self, from: data), track)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            XCTAssertEqual(object["path"] as? String, path.displayString)
            XCTAssertEqual(object["pathBytes"] != nil, !path.isValidUTF8)
        }
    }

    func testDisplayNameFallsBackToFileStem() {
        XCTAssertEqual(Self.track(RawPath("/m/x.mp3")).displayName, "A - T")
        XCTAssertEqual(Self.track(RawPath("/m/x.mp3"), title: nil).displayName, "A")
        XCTAssertEqual(Self.track(RawPath("/m/x.mp3"), artist: " ").displayName, "T")
        XCTAssertEqual(Self.track(RawPath("/m/my.song.mp3"), title: nil, artist: nil).displayName, "my.song")
        XCTAssertEqual(Self.track(RawPath("/m/.hidden"), title: nil, artist: nil).displayName, ".hidden")
    }

    func testClosestLikedByCosine() {
        let liked: [(name: String, embedding: [Float])] = [
            ("east", [1, 0]), ("north", [0, 2]), ("north-east", [3, 3]), ("west", [-1, 0]),
            ("zero", [0, 0]), ("wrong width", [1, 0, 0]),
        ]
        let reasons = ClosestLiked.reasons(for: [2, 1], liked: liked, count: 3)
        XCTAssertEqual(reasons.map(\.likedTrack), ["north-east", "east", "north"])
        XCTAssertEqual(reasons[0].similarity, 3 / (2.0.squareRoot() * 5.0.squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(reasons[1].similarity, 2 / 5.0.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(reasons[2].similarity, 1 / 5.0.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(ClosestLiked.reasons(for: [2, 1], liked: liked, count: 10).count, 4)
        XCTAssertEqual(ClosestLiked.reasons(for: [0, 0], liked: liked), [])
    }

    func testClosestLikedTiesAreOrderedByName() {
        let liked: [(name: String, embedding: [Float])] = [("b", [1, 0]), ("a", [2, 0]), ("c", [0, 1])]
        XCTAssertEqual(ClosestLiked.reasons(for: [1, 0], liked: liked, count: 2).map(\.likedTrack), ["a", "b"])
    }
}
