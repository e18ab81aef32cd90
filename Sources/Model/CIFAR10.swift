import Features
import Foundation

/// A set of same-sized RGB images kept as bytes (a quarter of the memory of floats), converted to
/// Float CHW in [0, 1] when an item is used.
public struct ImageSet: Sendable {
    /// Channels, rows and columns of every image.
    public let channels: Int, height: Int, width: Int
    /// All images back to back, each `channels` planes of `height × width` bytes.
    public let pixels: [UInt8]
    /// The class of each image.
    public let labels: [Int]

    /// Values per image (C·H·W).
    public var imageSize: Int { channels * height * width }
    /// The number of images.
    public var count: Int { labels.count }

    /// Makes a set from planar bytes; `pixels.count` must be `labels.count · channels · height · width`.
    public init(channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int]) {
        precondition(pixels.count == labels.count * channels * height * width, "pixel count does not match the labels")
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
    }

    /// Image `index` as Float CHW in [0, 1].
    public func image(at index: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: imageSize) { buffer, count in
            copyImage(at: index, into: buffer)
            count = imageSize
        }
    }

    /// Writes image `index` as Float CHW in [0, 1] into `output` (at least `imageSize` long), so a
    /// batch builder can fill its own buffer without an allocation per image.
    public func copyImage(at index: Int, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(output.count >= imageSize)
        let start = index * imageSize
        pixels.withUnsafeBufferPointer { bytes in
            for i in 0..<imageSize { output[i] = Float(bytes[start + i]) * (1 / 255) }
        }
    }

    /// The images whose positions are listed, in that order.
    public func subset(_ indices: [Int]) -> ImageSet {
        var bytes = [UInt8]()
        bytes.reserveCapacity(indices.count * imageSize)
        for i in indices { bytes += pixels[(i * imageSize)..<((i + 1) * imageSize)] }
        return ImageSet(channels: channels, height: height, width: width, pixels: bytes, labels: indices.map { labels[$0] })
    }

    /// Per-channel mean and (population) standard deviation of the pixel values in [0, 1] over all
    /// images, for normalisation when the config gives none.
    public func channelStatistics() -> (mean: [Double], std: [Double]) {
        let plane = height * width
        var sums = [Double](repeating: 0, count: channels)
        var squares = [Double](repeating: 0, count: channels)
        pixels.withUnsafeBufferPointer { bytes in
            for image in 0..<count {
                for c in 0..<channels {
                    // Integer sums per plane are exact and keep the Double work per plane, not per pixel.
                    var sum = 0, square = 0
                    let start = image * imageSize + c * plane
                    for i in start..<(start + plane) {
                        let v = Int(bytes[i])
                        sum += v
                        square += v * v
                    }
                    sums[c] += Double(sum)
                    squares[c] += Double(square)
                }
            }
        }
        let n = Double(count * plane)
        let mean = sums.map { $0 / n / 255 }
        let std = zip(squares, mean).map { square, m in (max(square / n / (255 * 255) - m * m, 0)).squareRoot() }
        return (mean, std)
    }
}

/// The one-class split of a labelled image set: train on one class, test on everything.
public struct OneClassSplit: Sendable {
    /// The in-distribution class.
    public let targetClass: Int
    /// The target class's training images.
    public let train: ImageSet
    /// All test images, every class.
    public let test: ImageSet
    /// For each test image: true when it is of the target class (in-distribution, the positive).
    public var testIsInClass: [Bool] { test.labels.map { $0 == targetClass } }
}

/// Why CIFAR-10 could not be read; the message says how to get the data.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    /// One line naming the path and the problem.
    public let description: String
}

/// Reads CIFAR-10 in its standard binary layout (`cifar-10-batches-bin/` with data_batch_1…5.bin
/// and test_batch.bin; each record is a label byte and 3072 bytes of R, G, B planes, 32×32).
public enum CIFAR10 {
    /// The class names, by label.
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    /// The training batch files, in order.
    public static let trainingFiles = (1...5).map { "data_batch_\($0).bin" }
    /// The test batch file.
    public static let testFile = "test_batch.bin"

    static let side = 32
    static let recordSize = 1 + 3 * side * side

    /// The `cifar-10-batches-bin` folder: `path` itself or the folder of that name inside it.
    /// - Throws: `DatasetError` saying how to get the data when neither holds the batch files.
    public static func batchFolder(at path: String) throws -> URL {
        let given = URL(fileURLWithPath: path)
        for candidate in [given, given.appendingPathComponent("cifar-10-batches-bin")] {
            let files = trainingFiles + [testFile]
            if files.allSatisfy({ FileManager.default.fileExists(atPath: candidate.appendingPathComponent($0).path) }) {
                return candidate
            }
        }
        throw DatasetError(description: "no CIFAR-10 batches in \(path) (expected \(path)/cifar-10-batches-bin/"
            + "data_batch_1…5.bin and test_batch.bin); unpack https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz into \(path)")
    }

    /// The one-class protocol: the target class's training images (5000) and all test images (10000).
    /// - Throws: `DatasetError` when the folder is missing or a file is malformed.
    public static func oneClassSplit(at path: String, targetClass: Int) throws -> OneClassSplit {
        precondition((0..<10).contains(targetClass), "CIFAR-10 has classes 0…9")
        let folder = try batchFolder(at: path)
        var train = [UInt8](), trainLabels = [Int]()
        for name in trainingFiles {
            try readBatch(folder.appendingPathComponent(name), keeping: targetClass, pixels: &train, labels: &trainLabels)
        }
        var test = [UInt8](), testLabels = [Int]()
        try readBatch(folder.appendingPathComponent(testFile), keeping: nil, pixels: &test, labels: &testLabels)
        return OneClassSplit(
            targetClass: targetClass,
            train: ImageSet(channels: 3, height: side, width: side, pixels: train, labels: trainLabels),
            test: ImageSet(channels: 3, height: side, width: side, pixels: test, labels: testLabels))
    }

    /// Appends the records of one batch file (only class `keeping` when given).
    static func readBatch(_ url: URL, keeping: Int?, pixels: inout [UInt8], labels: inout [Int]) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DatasetError(description: "cannot read \(url.path) (\(error.localizedDescription)); "
                + "unpack https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz again")
        }
        guard !data.isEmpty, data.count % recordSize == 0 else {
            throw DatasetError(description: "\(url.path) is not a CIFAR-10 batch: \(data.count) bytes is not a whole "
                + "number of \(recordSize)-byte records; unpack https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz again")
        }
        let records = data.count / recordSize
        pixels.reserveCapacity(pixels.count + records * (recordSize - 1))
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            for r in 0..<records {
                let start = r * recordSize
                let label = Int(bytes[start])
                guard label < 10 else {
                    throw DatasetError(description: "\(url.path): record \(r) has label \(label), CIFAR-10 labels are 0…9")
                }
                if let keeping, label != keeping { continue }
                labels.append(label)
                pixels.append(contentsOf: bytes[(start + 1)..<(start + recordSize)])
            }
        }
    }
}
