import Foundation
import XCTest
@testable import Model

/// Checks against the real data set; runs only when CIFAR10_DIR names a folder written by
/// `../shared/data/cifar10.sh DIR`, so the suite never depends on a download.
final class CIFAR10DataTests: XCTestCase {
    func testAirplaneSplitAndStatistics() throws {
        guard let folder = ProcessInfo.processInfo.environment["CIFAR10_DIR"] else {
            throw XCTSkip("set CIFAR10_DIR to a CIFAR-10 folder to run")
        }
        let split = try CIFAR10.oneClassSplit(at: folder, targetClass: 0)
        XCTAssertEqual(split.train.count, 5000)
        XCTAssertEqual(split.test.count, 10000)
        XCTAssertEqual(split.testIsInClass.filter { $0 }.count, 1000)
        let (mean, std) = split.train.channelStatistics()
        // The seed's airplane statistics; the shared copy went through JPEG, so allow a little.
        for (value, reference) in zip(mean, [0.5257, 0.5603, 0.5889]) { XCTAssertEqual(value, reference, accuracy: 0.005) }
        for (value, reference) in zip(std, [0.2502, 0.2408, 0.2660]) { XCTAssertEqual(value, reference, accuracy: 0.005) }
        print("airplane mean \(mean) std \(std)")
    }
}
