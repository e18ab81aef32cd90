import Features

/// CSI's image pipeline for one view of one item, on Float CHW images with 3 channels:
/// horizontal flip (pre-shift) → rotation by k·90° (the shift) → colour jitter → grayscale →
/// random resized crop back to the output size (bilinear) → normalisation. Test views are only
/// normalised.
///
/// Works on caller-owned buffers with one scratch image per view, so a 32×32 view costs a few
/// microseconds and no allocation per pixel.
public struct ImageAugmentation: Sendable {
    /// Output rows and columns (the network input).
    public var height: Int, width: Int
    /// Per-channel mean and standard deviation the output is normalised with.
    public var mean: [Float], std: [Float]
    /// Probability of the pre-shift horizontal flip.
    public var flipProbability = 0.5
    /// Colour jitter strengths (torchvision's ColorJitter(brightness, contrast, saturation, hue)).
    public var brightness: Float = 0.4, contrast: Float = 0.4, saturation: Float = 0.4, hue: Float = 0.1
    /// Probability that colour jitter is applied.
    public var jitterProbability = 0.8
    /// Probability of turning the view gray.
    public var grayscaleProbability = 0.2
    /// Random resized crop: range of the crop's area (fraction of the image) and of its aspect ratio.
    public var cropScale: ClosedRange<Float> = 0.08...1
    public var cropRatio: ClosedRange<Float> = (3.0 / 4.0)...(4.0 / 3.0)

    static let channels = 3

    /// An augmentation producing `height × width` views normalised with `mean`/`std` (3 values each).
    public init(height: Int, width: Int, mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3, "image augmentation needs 3 channel means and stds")
        self.height = height
        self.width = width
        self.mean = mean
        self.std = std
    }

    /// The augmentation a run's config asks for: its input size, and its `dataset_mean`/`dataset_std`
    /// or, when those are null, the statistics of `trainingImages` (the target class's training set).
    public init(config: RunConfig, trainingImages: ImageSet) {
        let computed = config.datasetMean == nil || config.datasetStd == nil ? trainingImages.channelStatistics() : nil
        let mean = config.datasetMean ?? computed!.mean, std = config.datasetStd ?? computed!.std
        self.init(height: config.inputImageSize[0], width: config.inputImageSize[1],
                  mean: mean.map { Float($0) }, std: std.map { Float($0) })
        cropScale = Float(config.cropScaleMin)...1
    }

    /// Values per output view (3·height·width).
    public var viewSize: Int { ImageAugmentation.channels * height * width }

    /// One training view of `image` (CHW in [0, 1], `imageHeight × imageWidth`) with shift `shift`
    /// (rotation by shift·90°), written normalised into `output` (`viewSize` values).
    /// `viewRandom` decides the flip, so all shifts of one view share it (as CSI); `slotRandom`
    /// decides everything after the shift.
    public func trainingView(
        of image: UnsafeBufferPointer<Float>, imageHeight: Int, imageWidth: Int, shift: Int,
        viewRandom: inout SeededGenerator, slotRandom: inout SeededGenerator,
        into output: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(image.count >= 3 * imageHeight * imageWidth && output.count >= viewSize)
        let isFlipped = viewRandom.chance(flipProbability)
        let turns = ((shift % 4) + 4) % 4
        let (h, w) = turns % 2 == 0 ? (imageHeight, imageWidth) : (imageWidth, imageHeight)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * h * w) { scratch in
            ImageAugmentation.flipAndRotate(image, height: imageHeight, width: imageWidth,
                                            isFlipped: isFlipped, quarterTurns: turns, into: scratch)
            if slotRandom.chance(jitterProbability) { jitterColours(scratch, plane: h * w, random: &slotRandom) }
            if slotRandom.chance(grayscaleProbability) { ImageAugmentation.makeGray(scratch, plane: h * w) }
            let crop = cropBox(height: h, width: w, random: &slotRandom)
            resample(UnsafeBufferPointer(scratch), height: h, width: w, crop: crop, into: output)
        }
    }

    /// `image` rotated by shift·90° and resized to the network's input, normalised into `output`: the clean
    /// shifted input a score sees when evaluation samples are not augmented (`eval_augment` false).
    public func shiftedView(
        of image: UnsafeBufferPointer<Float>, imageHeight: Int, imageWidth: Int, shift: Int,
        into output: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(image.count >= 3 * imageHeight * imageWidth && output.count >= viewSize)
        let turns = ((shift % 4) + 4) % 4
        let (h, w) = turns % 2 == 0 ? (imageHeight, imageWidth) : (imageWidth, imageHeight)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * h * w) { scratch in
            ImageAugmentation.flipAndRotate(image, height: imageHeight, width: imageWidth,
                                            isFlipped: false, quarterTurns: turns, into: scratch)
            resample(UnsafeBufferPointer(scratch), height: h, width: w, crop: (0, 0, h, w), into: output)
        }
    }

    /// Convenience form of `trainingView` on arrays.
    public func trainingView(
        of image: [Float], imageHeight: Int, imageWidth: Int, shift: Int,
        viewRandom: inout SeededGenerator, slotRandom: inout SeededGenerator
    ) -> [Float] {
        [Float](unsafeUninitializedCapacity: viewSize) { output, count in
            image.withUnsafeBufferPointer {
                trainingView(of: $0, imageHeight: imageHeight, imageWidth: imageWidth, shift: shift,
                             viewRandom: &viewRandom, slotRandom: &slotRandom, into: output)
            }
            count = viewSize
        }
    }

    /// The test-time view: the image (already `height × width`) normalised, nothing else.
    public func testView(of image: [Float]) -> [Float] {
        precondition(image.count == viewSize, "test images must already have the network's input size")
        var out = image
        out.withUnsafeMutableBufferPointer { normalize($0) }
        return out
    }

    /// Normalises an image of the network's input size in place with the per-channel mean and std.
    public func normalize(_ image: UnsafeMutableBufferPointer<Float>) {
        let plane = height * width
        for c in 0..<3 {
            let m = mean[c], inverse = 1 / std[c]
            for i in (c * plane)..<((c + 1) * plane) { image[i] = (image[i] - m) * inverse }
        }
    }

    // MARK: Geometry

    /// `image` rotated counter-clockwise by `quarterTurns`·90° (as `torch.rot90(x, k, (H, W))`).
    public static func rotate(_ image: [Float], height: Int, width: Int, quarterTurns: Int) -> [Float] {
        transformed(image, height: height, width: width, isFlipped: false, quarterTurns: quarterTurns)
    }

    /// `image` mirrored left to right.
    public static func flipHorizontally(_ image: [Float], height: Int, width: Int) -> [Float] {
        transformed(image, height: height, width: width, isFlipped: true, quarterTurns: 0)
    }

    private static func transformed(_ image: [Float], height: Int, width: Int, isFlipped: Bool, quarterTurns: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: image.count) { out, count in
            image.withUnsafeBufferPointer {
                flipAndRotate($0, height: height, width: width, isFlipped: isFlipped,
                              quarterTurns: ((quarterTurns % 4) + 4) % 4, into: out)
            }
            count = image.count
        }
    }

    /// Flip (optional) then rotation, in one pass: every output pixel's source index is linear in
    /// its row and column, so the loop is a strided copy.
    static func flipAndRotate(
        _ source: UnsafeBufferPointer<Float>, height h: Int, width w: Int, isFlipped: Bool, quarterTurns: Int,
        into out: UnsafeMutableBufferPointer<Float>
    ) {
        // Source row a and column b of output pixel (i, j), as a0 + i·ai + j·aj and b0 + i·bi + j·bj.
        var (a0, ai, aj, b0, bi, bj): (Int, Int, Int, Int, Int, Int)
        switch quarterTurns {
        case 1: (a0, ai, aj, b0, bi, bj) = (0, 0, 1, w - 1, -1, 0)
        case 2: (a0, ai, aj, b0, bi, bj) = (h - 1, -1, 0, w - 1, 0, -1)
        case 3: (a0, ai, aj, b0, bi, bj) = (h - 1, 0, -1, 0, 1, 0)
        default: (a0, ai, aj, b0, bi, bj) = (0, 1, 0, 0, 0, 1)
        }
        if isFlipped { (b0, bi, bj) = (w - 1 - b0, -bi, -bj) }
        let base = a0 * w + b0, rowStep = ai * w + bi, columnStep = aj * w + bj
        let (outRows, outColumns) = quarterTurns % 2 == 0 ? (h, w) : (w, h)
        let plane = h * w
        for c in 0..<3 {
            let src = source.baseAddress! + c * plane
            var o = c * plane
            for i in 0..<outRows {
                var s = base + i * rowStep
                for _ in 0..<outColumns {
                    out[o] = src[s]
                    o += 1
                    s += columnStep
                }
            }
        }
    }

    /// A crop box (top, left, height, width) as torchvision's RandomResizedCrop.get_params draws it.
    func cropBox(height: Int, width: Int, random: inout SeededGenerator) -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Float(height * width)
        let logRatio = (log(cropRatio.lowerBound), log(cropRatio.upperBound))
        for _ in 0..<10 {
            let target = area * random.uniform(cropScale.lowerBound, cropScale.upperBound)
            let ratio = exp(random.uniform(logRatio.0, logRatio.1))
            let w = Int((target * ratio).squareRoot().rounded())
            let h = Int((target / ratio).squareRoot().rounded())
            if w > 0, w <= width, h > 0, h <= height {
                let top = Int.random(in: 0...(height - h), using: &random)
                let left = Int.random(in: 0...(width - w), using: &random)
                return (top, left, h, w)
            }
        }
        // Fallback as torchvision: the whole image, trimmed to the allowed aspect ratios.
        let ratio = Float(width) / Float(height)
        var (h, w) = (height, width)
        if ratio < cropRatio.lowerBound {
            h = Int((Float(w) / cropRatio.lowerBound).rounded())
        } else if ratio > cropRatio.upperBound {
            w = Int((Float(h) * cropRatio.upperBound).rounded())
        }
        return ((height - h) / 2, (width - w) / 2, h, w)
    }

    /// Bilinear resampling of the crop box to the output size (half-pixel centres, edges clamped,
    /// as `F.interpolate(..., mode="bilinear", align_corners=False)`), fused with normalisation.
    func resample(
        _ source: UnsafeBufferPointer<Float>, height h: Int, width w: Int,
        crop: (top: Int, left: Int, height: Int, width: Int), into out: UnsafeMutableBufferPointer<Float>
    ) {
        let scaleY = Float(crop.height) / Float(height), scaleX = Float(crop.width) / Float(width)
        let plane = h * w, outPlane = height * width
        // Column weights are the same for every row: work them out once.
        withUnsafeTemporaryAllocation(of: (Int, Int, Float).self, capacity: width) { columns in
            for x in 0..<width {
                let position = min(max((Float(x) + 0.5) * scaleX - 0.5, 0), Float(crop.width - 1))
                let x0 = Int(position), x1 = min(x0 + 1, crop.width - 1)
                columns[x] = (crop.left + x0, crop.left + x1, position - Float(x0))
            }
            for y in 0..<height {
                let position = min(max((Float(y) + 0.5) * scaleY - 0.5, 0), Float(crop.height - 1))
                let y0 = Int(position), y1 = min(y0 + 1, crop.height - 1)
                let fy = position - Float(y0)
                let row0 = (crop.top + y0) * w, row1 = (crop.top + y1) * w
                for c in 0..<3 {
                    let src = source.baseAddress! + c * plane
                    let m = mean[c], inverse = 1 / std[c]
                    let o = c * outPlane + y * width
                    for x in 0..<width {
                        let (x0, x1, fx) = columns[x]
                        let top = src[row0 + x0] + (src[row0 + x1] - src[row0 + x0]) * fx
                        let bottom = src[row1 + x0] + (src[row1 + x1] - src[row1 + x0]) * fx
                        out[o + x] = (top + (bottom - top) * fy - m) * inverse
                    }
                }
            }
        }
    }

    // MARK: Colour

    /// torchvision's ColorJitter: the four adjustments in a random order, each with a factor drawn
    /// from its range; results are clamped to [0, 1] after each step as torchvision does.
    func jitterColours(_ image: UnsafeMutableBufferPointer<Float>, plane: Int, random: inout SeededGenerator) {
        // A random permutation of the four steps without an array allocation (Fisher–Yates on a tuple).
        var order: (Int, Int, Int, Int) = (0, 1, 2, 3)
        withUnsafeMutableBytes(of: &order) { raw in
            let steps = raw.bindMemory(to: Int.self)
            for i in stride(from: 3, to: 0, by: -1) { steps.swapAt(i, Int.random(in: 0...i, using: &random)) }
        }
        for step in [order.0, order.1, order.2, order.3] {
            switch step {
            case 0: ImageAugmentation.scale(image, count: 3 * plane, by: random.uniform(max(0, 1 - brightness), 1 + brightness))
            case 1: ImageAugmentation.adjustContrast(image, plane: plane, factor: random.uniform(max(0, 1 - contrast), 1 + contrast))
            case 2: ImageAugmentation.adjustSaturation(image, plane: plane, factor: random.uniform(max(0, 1 - saturation), 1 + saturation))
            default: ImageAugmentation.rotateHue(image, plane: plane, by: random.uniform(-hue, hue))
            }
        }
    }

    /// Brightness: every value times `factor`, clamped.
    static func scale(_ image: UnsafeMutableBufferPointer<Float>, count: Int, by factor: Float) {
        let p = image.baseAddress!
        for i in 0..<count { p[i] = clamp(p[i] * factor) }
    }

    /// Contrast: a blend toward the mean luma of the whole image.
    static func adjustContrast(_ image: UnsafeMutableBufferPointer<Float>, plane: Int, factor: Float) {
        let p = image.baseAddress!
        var sum: Float = 0
        for i in 0..<plane { sum += 0.2989 * p[i] + 0.587 * p[plane + i] + 0.114 * p[2 * plane + i] }
        let offset = sum / Float(plane) * (1 - factor)
        for i in 0..<(3 * plane) { p[i] = clamp(p[i] * factor + offset) }
    }

    /// Saturation: each pixel blended toward its own luma.
    static func adjustSaturation(_ image: UnsafeMutableBufferPointer<Float>, plane: Int, factor: Float) {
        let r = image.baseAddress!, g = r + plane, b = r + 2 * plane
        for i in 0..<plane {
            let offset = (0.2989 * r[i] + 0.587 * g[i] + 0.114 * b[i]) * (1 - factor)
            r[i] = clamp(r[i] * factor + offset)
            g[i] = clamp(g[i] * factor + offset)
            b[i] = clamp(b[i] * factor + offset)
        }
    }

    /// `x` limited to [0, 1]; written with comparisons so the loops vectorise.
    @inline(__always)
    static func clamp(_ x: Float) -> Float { x < 0 ? 0 : (x > 1 ? 1 : x) }

    /// Every pixel replaced by its luma in all three channels.
    static func makeGray(_ image: UnsafeMutableBufferPointer<Float>, plane: Int) {
        let r = image.baseAddress!, g = r + plane, b = r + 2 * plane
        for i in 0..<plane {
            let y = 0.2989 * r[i] + 0.587 * g[i] + 0.114 * b[i]
            r[i] = y
            g[i] = y
            b[i] = y
        }
    }

    /// Hue rotated by `shift` (a fraction of the colour circle), as torchvision's adjust_hue
    /// (RGB → HSV, turn, → RGB). Written without branches (the HSV sector becomes arithmetic), so
    /// random colours cause no mispredictions and the loop vectorises.
    static func rotateHue(_ image: UnsafeMutableBufferPointer<Float>, plane: Int, by shift: Float) {
        let r = image.baseAddress!, g = r + plane, b = r + 2 * plane
        let turn = shift * 6
        for i in 0..<plane {
            let red = r[i], green = g[i], blue = b[i]
            let value = max(red, green, blue)
            let chroma = value - min(red, green, blue)
            // Gray pixels (chroma 0) get inverse 0: hue 0, and the output below is `value` unchanged.
            let inverse: Float = chroma > 0 ? 1 / chroma : 0
            var hue6 = value == red ? (green - blue) * inverse
                : (value == green ? 2 + (blue - red) * inverse : 4 + (red - green) * inverse)
            hue6 += turn
            hue6 -= 6 * (hue6 * (1.0 / 6)).rounded(.down)
            r[i] = value - chroma * sectorWeight(5 + hue6)
            g[i] = value - chroma * sectorWeight(3 + hue6)
            b[i] = value - chroma * sectorWeight(1 + hue6)
        }
    }

    /// The HSV → RGB channel weight: with k = (n + 6h) mod 6, min(max(min(k, 4 − k), 0), 1).
    @inline(__always)
    static func sectorWeight(_ k: Float) -> Float {
        let wrapped = k >= 6 ? k - 6 : k
        return clamp(min(wrapped, 4 - wrapped))
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
