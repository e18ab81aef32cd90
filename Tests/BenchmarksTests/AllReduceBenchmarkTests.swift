import Foundation
import Model
import ModelTestSupport
import XCTest
@testable import Benchmarks

final class AllReduceBenchmarkTests: XCTestCase {
    func testEachRankReportsARowPerSizeInTheOrderAsked() throws {
        let port = try freePort()
        let sizes = [1 << 16, 1 << 10]
        let results = runOnRanks(2) { rank in
            try AllReduceBenchmark.run(group: try joinPair(rank: rank, port: port, timeout: 20), floats: sizes, repeats: 3)
        }
        let reports = try results.map { try $0.get() }
        XCTAssertEqual(reports.map(\.rank), [0, 1])
        XCTAssertEqual(reports.map(\.worldSize), [2, 2])
        for report in reports {
            XCTAssertEqual(report.rows.map(\.floats), sizes)
            for row in report.rows {
                XCTAssertEqual(row.megabytes, Double(row.floats) * 4 / 1e6, accuracy: 1e-12)
                XCTAssertTrue(row.seconds.isFinite && row.seconds > 0, "\(row.seconds) s")
                XCTAssertEqual(row.gigabytesPerSecond, row.megabytes / 1e3 / row.seconds, accuracy: 1e-9 * row.gigabytesPerSecond)
            }
        }
    }
}
