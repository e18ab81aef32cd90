import XCTest
@testable import LibraryScanner

final class LibraryScannerPlaceholderTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
