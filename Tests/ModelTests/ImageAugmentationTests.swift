import Features
import XCTest
@testable import Model

final class ImageAugmentationTests: XCTestCase {
    /// A 3-channel image whose R plane is `plane`, G = R + 10, B = R + 20.
    private func image(_ plane: [Float]) -> [Float] { plane + plane.map { $0 + 10 } + plane.map { $0 + 20 } }

    func testRotationsOfTwoByTwo() {
        let source = image([1, 2, 3, 4])  // rows [1 2] [3 4]
        XCTAssertEqual(ImageAugmentation.rotate(source, height: 2, width: 2, quarterTurns: 0), source)
        XCTAssertEqual(ImageAugmentation.rotate(source, height: 2, width: 2, quarterTurns: 1), image([2, 4, 1, 3]))
        XCTAssertEqual(ImageAugmentation.rotate(source, height: 2, width: 2, quarterTurns: 2), image([4, 3, 2, 1]))
        XCTAssertEqual(ImageAugmentation.rotate(source, height: 2, width: 2, quarterTurns: 3), image([3, 1, 4, 2]))
    }

    func testRotationOfNonSquareSwapsSides() {
        // rows [1 2 3] [4 5 6], counter-clockwise → rows [3 6] [2 5] [1 4] (numpy.rot90).
        let source = image([1, 2, 3, 4, 5, 6])
        XCTAssertEqual(ImageAugmentation.rotate(source, height: 2, width: 3, quarterTurns: 1), image([3, 6, 2, 5, 1, 4]))
        XCTAssertEqual(ImageAugmentation.rotate(source, height: 2, width: 3, quarterTurns: 3), image([4, 1, 5, 2, 6, 3]))
    }

    func testFourQuarterTurnsAreIdentity() {
        let source = image((0..<9).map(Float.init))
        var turned = source
        for _ in 0..<4 { turned = ImageAugmentation.rotate(turned, height: 3, width: 3, quarterTurns: 1) }
        XCTAssertEqual(turned, source)
        XCTAssertEqual(ImageAugmentation.rotate(ImageAugmentation.rotate(source, height: 3, width: 3, quarterTurns: 1),
                                                height: 3, width: 3, quarterTurns: 3), source)
    }

    func testFlip() {
        let source = image([1, 2, 3, 4])
        XCTAssertEqual(ImageAugmentation.flipHorizontally(source, height: 2, width: 2), image([2, 1, 4, 3]))
        let twice = ImageAugmentation.flipHorizontally(ImageAugmentation.flipHorizontally(source, height: 2, width: 2), height: 2, width: 2)
        XCTAssertEqual(twice, source)
    }

    private func randomImage(side: Int, seed: UInt64) -> [Float] {
        var random = SeededGenerator(seed: seed)
        return (0..<(3 * side * side)).map { _ in random.uniform(0, 1) }
    }

    func testIdentitySettingsGiveTheRotatedImage() {
        var augmentation = ImageAugmentation(height: 8, width: 8, mean: [0, 0, 0], std: [1, 1, 1])
        augmentation.flipProbability = 0
        augmentation.jitterProbability = 0
        augmentation.grayscaleProbability = 0
        augmentation.cropScale = 1...1
        augmentation.cropRatio = 1...1
        let source = randomImage(side: 8, seed: 1)
        for k in 0..<4 {
            var viewRandom = SeededGenerator(seed: 2), slotRandom = SeededGenerator(seed: 3)
            let view = augmentation.trainingView(of: source, imageHeight: 8, imageWidth: 8, shift: k,
                                                 viewRandom: &viewRandom, slotRandom: &slotRandom)
            XCTAssertEqual(view, ImageAugmentation.rotate(source, height: 8, width: 8, quarterTurns: k), "shift \(k)")
        }
    }

    func testCropScaleMinFromTheConfigBoundsTheCropArea() throws {
        let images = ImageSet(channels: 3, height: 32, width: 32, pixels: [UInt8](repeating: 128, count: 3072), labels: [0])
        func smallestCropArea(cropScaleMin: Double) -> Float {
            var config = RunConfig()
            config.cropScaleMin = cropScaleMin
            let augmentation = ImageAugmentation(config: config, trainingImages: images)
            var random = SeededGenerator(seed: 5)
            return (0..<500).map { _ in
                let box = augmentation.cropBox(height: 32, width: 32, random: &random)
                return Float(box.height * box.width) / 1024
            }.min()!
        }
        // Rounding the box's sides to whole pixels can lose a little of the asked area.
        XCTAssertGreaterThan(smallestCropArea(cropScaleMin: 0.5), 0.45)
        XCTAssertLessThan(smallestCropArea(cropScaleMin: 0.08), 0.2)
    }

    func testReproducibleUnderASeedAndInRange() {
        let mean: [Float] = [0.5257, 0.5603, 0.5889], std: [Float] = [0.2502, 0.2408, 0.2660]
        let augmentation = ImageAugmentation(height: 32, width: 32, mean: mean, std: std)
        let source = randomImage(side: 32, seed: 7)
        func view(_ seed: UInt64, shift: Int) -> [Float] {
            var viewRandom = SeededGenerator(seed: seed), slotRandom = SeededGenerator(seed: seed + 1000)
            return augmentation.trainingView(of: source, imageHeight: 32, imageWidth: 32, shift: shift,
                                             viewRandom: &viewRandom, slotRandom: &slotRandom)
        }
        XCTAssertEqual(view(1, shift: 2), view(1, shift: 2))
        XCTAssertNotEqual(view(1, shift: 2), view(2, shift: 2))
        for seed in 0..<50 as Range<UInt64> {
            let v = view(seed, shift: Int(seed % 4))
            XCTAssertEqual(v.count, 3072)
            for (i, x) in v.enumerated() {
                let unnormalised = x * std[i / 1024] + mean[i / 1024]
                XCTAssertTrue(unnormalised >= -1e-5 && unnormalised <= 1 + 1e-5, "seed \(seed) index \(i): \(unnormalised)")
            }
        }
    }

    func testGrayscaleMakesChannelsEqual() {
        var augmentation = ImageAugmentation(height: 4, width: 4, mean: [0, 0, 0], std: [1, 1, 1])
        augmentation.grayscaleProbability = 1
        var viewRandom = SeededGenerator(seed: 1), slotRandom = SeededGenerator(seed: 2)
        let v = augmentation.trainingView(of: randomImage(side: 4, seed: 3), imageHeight: 4, imageWidth: 4, shift: 1,
                                          viewRandom: &viewRandom, slotRandom: &slotRandom)
        XCTAssertEqual(Array(v[0..<16]), Array(v[16..<32]))
        XCTAssertEqual(Array(v[0..<16]), Array(v[32..<48]))
    }

    func testHueRotationByAThirdTurnsRedGreen() {
        var pixels: [Float] = [1, 0.5, 0, 0.5, 0, 0.5]  // two pixels: pure red, and gray 0.5
        pixels.withUnsafeMutableBufferPointer { ImageAugmentation.rotateHue($0, plane: 2, by: 1.0 / 3) }
        XCTAssertEqual(pixels[0], 0, accuracy: 1e-5)
        XCTAssertEqual(pixels[2], 1, accuracy: 1e-5)
        XCTAssertEqual(pixels[4], 0, accuracy: 1e-5)
        XCTAssertEqual([pixels[1], pixels[3], pixels[5]], [0.5, 0.5, 0.5], "gray has no hue")
    }

    /// torchvision's adjust_hue written the direct way (HSV with sector branches), to check the fast one.
    private func referenceHue(_ rgb: (Float, Float, Float), shift: Float) -> (Float, Float, Float) {
        let (r, g, b) = rgb
        let maxc = max(r, g, b), minc = min(r, g, b), chroma = maxc - minc
        guard chroma > 0 else { return rgb }
        let s = chroma / maxc
        var h: Float = maxc == r ? (g - b) / chroma : (maxc == g ? 2 + (b - r) / chroma : 4 + (r - g) / chroma)
        h = h / 6 + shift
        h -= h.rounded(.down)
        let sector = Int(h * 6) % 6, f = h * 6 - (h * 6).rounded(.down), v = maxc
        let (p, q, t) = (v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f)))
        return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][sector]
    }

    func testHueRotationMatchesTheDirectHSVFormula() {
        let source = randomImage(side: 16, seed: 11)
        for shift: Float in [-0.1, -0.03, 0.05, 0.1, 0.45] {
            var pixels = source
            pixels.withUnsafeMutableBufferPointer { ImageAugmentation.rotateHue($0, plane: 256, by: shift) }
            for i in 0..<256 {
                let expected = referenceHue((source[i], source[256 + i], source[512 + i]), shift: shift)
                XCTAssertEqual(pixels[i], expected.0, accuracy: 1e-5)
                XCTAssertEqual(pixels[256 + i], expected.1, accuracy: 1e-5)
                XCTAssertEqual(pixels[512 + i], expected.2, accuracy: 1e-5)
            }
        }
    }

    func testHueRotationByZeroKeepsColours() {
        let source = randomImage(side: 4, seed: 9)
        var pixels = source
        pixels.withUnsafeMutableBufferPointer { ImageAugmentation.rotateHue($0, plane: 16, by: 0) }
        for (a, b) in zip(pixels, source) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testShiftedViewIsTheNormalisedRotationWithoutAugmentation() {
        // Every augmentation switched on at full strength: the clean shifted view must ignore them all.
        var augmentation = ImageAugmentation(height: 8, width: 8, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3])
        augmentation.flipProbability = 1
        augmentation.jitterProbability = 1
        augmentation.grayscaleProbability = 1
        let source = randomImage(side: 8, seed: 5)
        for k in 0..<4 {
            let view = [Float](unsafeUninitializedCapacity: source.count) { output, count in
                source.withUnsafeBufferPointer {
                    augmentation.shiftedView(of: $0, imageHeight: 8, imageWidth: 8, shift: k, into: output)
                }
                count = source.count
            }
            let expected = augmentation.testView(of: ImageAugmentation.rotate(source, height: 8, width: 8, quarterTurns: k))
            for (a, b) in zip(view, expected) { XCTAssertEqual(a, b, accuracy: 1e-5, "shift \(k)") }
        }
    }

    func testTestViewOnlyNormalises() {
        let augmentation = ImageAugmentation(height: 1, width: 2, mean: [0.5, 0, 1], std: [0.5, 2, 1])
        XCTAssertEqual(augmentation.testView(of: [0, 1, 0, 1, 1, 0]), [-1, 1, 0, 0.5, 0, -1])
    }
}
