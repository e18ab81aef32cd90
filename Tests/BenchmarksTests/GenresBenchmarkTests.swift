import Foundation
import LibraryScanner
import Model
import TestSupport
import XCTest
@testable import Benchmarks

/// How the genres benchmark splits a folder of styles.
final class GenresBenchmarkTests: XCTestCase {
    private func tracks(_ style: String, _ count: Int) -> [AudioTrack] {
        (0..<count).map { AudioTrack(path: RawPath("/\(style)/\($0)"), size: 1, modificationTimeNs: 1, group: style) }
    }

    private func benchmark(dislikes: Int = 0) throws -> GenresBenchmark {
        var config = RunConfig.musicPreset()
        config.validationFraction = 0.2
        config.seed = 3
        return GenresBenchmark(config: config, styles: ["jazz": tracks("jazz", 10), "rock": tracks("rock", 10), "pop": tracks("pop", 5)],
                               cache: try PCMCache(folder: try makeTemporaryDirectory().path, sampleRate: 16000), dislikes: dislikes)
    }

    func testSeventyPercentOfTheLikedStylesTrainAndEveryOtherStyleIsTested() throws {
        let split = try benchmark().split(liked: "jazz+rock")(3)
        XCTAssertEqual(GenresBenchmark.trainFraction, 0.7)
        XCTAssertEqual(split.train.count + split.validation.count, 14, "70 % of 20 liked tracks")
        XCTAssertEqual(split.validation.count, 3, "the config's validation fraction of them")
        XCTAssertEqual(split.testIsInClass.filter { $0 }.count, 6)
        XCTAssertEqual(split.test.filter { $0.group == "pop" }.count, 5)
        XCTAssertTrue((split.train + split.validation).allSatisfy { $0.group != "pop" })
        XCTAssertEqual(split.test, MusicSplit.heldOut(liked: tracks("jazz", 10) + tracks("rock", 10), others: tracks("pop", 5),
                                                      trainFraction: 0.7, validationFraction: 0.2, seed: 3).test)
    }

    func testDislikesLeaveTheTestAndUnknownStylesAreNamed() throws {
        let benchmark = try benchmark(dislikes: 2)
        let split = benchmark.split(liked: "pop")(3)
        XCTAssertEqual(split.disliked.count, 2)
        XCTAssertTrue(split.disliked.allSatisfy { $0.group != "pop" })
        XCTAssertEqual(benchmark.experiment(liked: "pop").split.test, split.test, "a single run takes the config's seed")
        XCTAssertEqual(benchmark.experiment(liked: "pop").label, "pop")
        XCTAssertEqual(benchmark.unknownStyles(in: "pop+blues+jazz+ska"), ["blues", "ska"])
        XCTAssertEqual(benchmark.unknownStyles(in: "pop"), [])
    }
}
