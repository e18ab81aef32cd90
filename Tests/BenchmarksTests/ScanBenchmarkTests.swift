import Benchmarks
import Foundation
import LibraryScanner
import Model
import TestSupport
import XCTest

final class ScanBenchmarkTests: XCTestCase {
    func testBuildsScansAndRescansTheLibrary() throws {
        let work = try makeTemporaryDirectory()
        let report = try ScanBenchmark.run(files: 40, from: [], work: work)
        XCTAssertEqual(report.files, 40)
        XCTAssertEqual(report.sourceFiles, 16)
        XCTAssertEqual(report.formats["wav"], 40, "every copy is a track of its own")
        XCTAssertEqual(report.failed, 0)
        XCTAssertGreaterThan(report.databaseBytes, 0)
        let catalog = try TrackCatalog(path: work.appendingPathComponent("library.sqlite").path)
        XCTAssertEqual(try catalog.tracks().count, 40)
        XCTAssertEqual(Set(try catalog.tracks().compactMap(\.duration).map { ($0 * 10).rounded() / 10 }), [2.0])
    }
}
