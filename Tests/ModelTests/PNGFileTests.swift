import Foundation
import TestSupport
import XCTest
@testable import Model

final class PNGFileTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryDirectory()
    }

    /// A gradient: red grows along x, green along y, blue constant.
    private func gradient(width: Int, height: Int) -> [UInt8] {
        var rgb: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width { rgb += [UInt8(x * 255 / max(1, width - 1)), UInt8(y * 255 / max(1, height - 1)), 77] }
        }
        return rgb
    }

    func testRoundTripKeepsEveryPixel() throws {
        let path = folder.appendingPathComponent("a.png").path
        let rgb = gradient(width: 5, height: 3)
        try PNGFile.write(rgb: rgb, width: 5, height: 3, to: path)
        let read = try PNGFile.read(path: path)
        XCTAssertEqual(read.width, 5)
        XCTAssertEqual(read.height, 3)
        XCTAssertEqual(read.rgb, rgb)
    }

    func testSameSizeImageBecomesPlanarUnchanged() throws {
        let path = folder.appendingPathComponent("b.png").path
        let rgb = gradient(width: 32, height: 32)
        try PNGFile.write(rgb: rgb, width: 32, height: 32, to: path)
        let set = try ImageSet.png(at: path, height: 32, width: 32)
        XCTAssertEqual(set.count, 1)
        // Planar: plane c, row y, column x.
        XCTAssertEqual(set.pixels[(0 * 32 + 7) * 32 + 9], rgb[(7 * 32 + 9) * 3 + 0])
        XCTAssertEqual(set.pixels[(1 * 32 + 7) * 32 + 9], rgb[(7 * 32 + 9) * 3 + 1])
        XCTAssertEqual(set.pixels[(2 * 32 + 31) * 32 + 0], 77)
    }

    func testLargerImageIsResizedKeepingTheGradient() throws {
        let path = folder.appendingPathComponent("c.png").path
        try PNGFile.write(rgb: gradient(width: 64, height: 48), width: 64, height: 48, to: path)
        let set = try ImageSet.png(at: path, height: 32, width: 32)
        let red = (0..<32).map { Int(set.pixels[(0 * 32 + 10) * 32 + $0]) }
        XCTAssertEqual(red, red.sorted(), "red still grows along x")
        XCTAssertLessThan(red[0], 10)
        XCTAssertGreaterThan(red[31], 245)
        XCTAssertEqual(set.pixels[(2 * 32 + 5) * 32 + 5], 77)
    }

    func testNotAPNGNamesTheFile() throws {
        let path = folder.appendingPathComponent("fake.png").path
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PNGFile.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("fake.png"), "\(error)")
        }
    }
}
