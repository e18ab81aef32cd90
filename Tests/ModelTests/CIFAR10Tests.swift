import Features
import Foundation
import TestSupport
import XCTest
@testable import Model

final class CIFAR10Tests: XCTestCase {
    /// A record whose every R byte is `r`, G byte `g`, B byte `b`, except pixel 0 of R which is `label · 10`.
    private func record(label: UInt8, r: UInt8, g: UInt8, b: UInt8) -> [UInt8] {
        var bytes = [label] + [UInt8](repeating: r, count: 1024) + [UInt8](repeating: g, count: 1024) + [UInt8](repeating: b, count: 1024)
        bytes[1] = label &* 10
        return bytes
    }

    /// Writes a fixture `cifar-10-batches-bin` under a fresh folder: five training batches with two
    /// records each (labels 0,1 / 2,0 / 0,3 / 4,5 / 6,0) and a test batch with labels 0…9.
    private func writeFixture() throws -> URL {
        let root = try makeTemporaryDirectory()
        let folder = root.appendingPathComponent("cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let trainLabels: [[UInt8]] = [[0, 1], [2, 0], [0, 3], [4, 5], [6, 0]]
        for (n, labels) in trainLabels.enumerated() {
            let bytes = labels.flatMap { record(label: $0, r: 255, g: UInt8(n * 50), b: 0) }
            try Data(bytes).write(to: folder.appendingPathComponent("data_batch_\(n + 1).bin"))
        }
        let test = (0..<10).flatMap { record(label: UInt8($0), r: 0, g: 0, b: 51) }
        try Data(test).write(to: folder.appendingPathComponent("test_batch.bin"))
        return root
    }

    func testOneClassSplitFromParentOrFolder() throws {
        let root = try writeFixture()
        for path in [root.path, root.appendingPathComponent("cifar-10-batches-bin").path] {
            let split = try CIFAR10.oneClassSplit(at: path, targetClass: 0)
            XCTAssertEqual(split.train.count, 4)
            XCTAssertEqual(split.train.labels, [0, 0, 0, 0])
            XCTAssertEqual(split.test.count, 10)
            XCTAssertEqual(split.test.labels, Array(0..<10))
            XCTAssertEqual(split.testIsInClass, [true] + [Bool](repeating: false, count: 9))
        }
    }

    func testPixelValuesAreCHWInUnitRange() throws {
        let split = try CIFAR10.oneClassSplit(at: writeFixture().path, targetClass: 0)
        // Training images of class 0 come from batches 1, 2, 3 and 5 (G = 0, 50, 100, 200).
        let second = split.train.image(at: 1)
        XCTAssertEqual(second.count, 3072)
        XCTAssertEqual(second[0], 0, "label 0 · 10 in pixel 0 of R")
        XCTAssertEqual(second[1], 1)
        XCTAssertEqual(second[1024], 50 / 255, accuracy: 1e-7)
        XCTAssertEqual(second[2048], 0)
        let test = try CIFAR10.oneClassSplit(at: writeFixture().path, targetClass: 3).test.image(at: 3)
        XCTAssertEqual(test[0], 30 / 255, accuracy: 1e-7)
        XCTAssertEqual(test[3071], 0.2, accuracy: 1e-7)
    }

    func testWrongFolderSaysHowToGetTheData() throws {
        let empty = try makeTemporaryDirectory()
        XCTAssertThrowsError(try CIFAR10.oneClassSplit(at: empty.path, targetClass: 0)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cifar-10-binary.tar.gz into \(empty.path)"), text)
            XCTAssertTrue(text.contains(empty.path))
        }
    }

    func testMalformedBatchIsReported() throws {
        let root = try writeFixture()
        let batch = root.appendingPathComponent("cifar-10-batches-bin/data_batch_3.bin")
        try Data([1, 2, 3]).write(to: batch)
        XCTAssertThrowsError(try CIFAR10.oneClassSplit(at: root.path, targetClass: 0)) { error in
            XCTAssertTrue("\(error)".contains("data_batch_3.bin"), "\(error)")
            XCTAssertTrue("\(error)".contains("cifar-10-binary.tar.gz"), "\(error)")
        }
    }

    func testChannelStatistics() {
        // Two 1×2 RGB images: R = {0, 255, 255, 255}, G = all 51, B = {0, 0, 255, 255}.
        let set = ImageSet(channels: 3, height: 1, width: 2, pixels: [0, 255, 51, 51, 0, 0, 255, 255, 51, 51, 255, 255], labels: [0, 0])
        let (mean, std) = set.channelStatistics()
        XCTAssertEqual(mean[0], 0.75, accuracy: 1e-12)
        XCTAssertEqual(std[0], (0.75 * 0.25).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(mean[1], 0.2, accuracy: 1e-12)
        XCTAssertEqual(std[1], 0, accuracy: 1e-6)
        XCTAssertEqual(mean[2], 0.5, accuracy: 1e-12)
        XCTAssertEqual(std[2], 0.5, accuracy: 1e-12)
    }

    func testValidationSplitIsDisjointAndSeeded() {
        let (train, validation) = validationSplit(count: 20, fraction: 0.25, seed: 5)
        XCTAssertEqual(validation.count, 5)
        XCTAssertEqual(train.count, 15)
        XCTAssertEqual(Set(train + validation), Set(0..<20))
        XCTAssertEqual(validationSplit(count: 20, fraction: 0.25, seed: 5).validation, validation)
        XCTAssertNotEqual(validationSplit(count: 20, fraction: 0.25, seed: 6).validation, validation)
        XCTAssertEqual(validationSplit(count: 20, fraction: 0, seed: 5).validation, [])
    }

    func testAugmentationFromConfigComputesMissingStatistics() throws {
        let set = ImageSet(channels: 3, height: 1, width: 2, pixels: [0, 255, 51, 51, 0, 0, 255, 255, 51, 51, 255, 255], labels: [0, 0])
        let computed = ImageAugmentation(config: RunConfig(), trainingImages: set)
        XCTAssertEqual(computed.mean, [0.75, 0.2, 0.5])
        XCTAssertEqual(computed.height, 32)
        let given = try RunConfig().overriding(["dataset_mean=[0.1,0.2,0.3]", "dataset_std=[1,2,3]"], purpose: .inspection)
        XCTAssertEqual(ImageAugmentation(config: given, trainingImages: set).std, [1, 2, 3])
    }

    func testSubsetKeepsOrderAndPixels() {
        let set = ImageSet(channels: 3, height: 1, width: 1, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9], labels: [0, 1, 2])
        let subset = set.subset([2, 0])
        XCTAssertEqual(subset.labels, [2, 0])
        XCTAssertEqual(subset.pixels, [7, 8, 9, 1, 2, 3])
    }
}
