import XCTest

/// Fails unless `value` is an AUROC: present and within 0...1 (not NaN).
func assertIsAUROC(_ value: Double?, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let value else { return XCTFail("\(name): no AUROC", file: file, line: line) }
    XCTAssertTrue((0...1).contains(value), "\(name): \(value) is not an AUROC", file: file, line: line)
}
