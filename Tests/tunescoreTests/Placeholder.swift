import XCTest
@testable import tunescore

final class tunescorePlaceholderTests: XCTestCase {
    func testModuleLoads() { XCTAssertTrue(true) }
}
