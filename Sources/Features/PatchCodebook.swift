import Foundation

/// A learned code for how a track sounds at the scale of a fifth of a second: small patches of its log-mel
/// spectrogram (32 bands x 8 frames) are whitened and compared with a codebook of typical patches learned, without
/// labels, from a reference library (spherical k-means, as in Coates & Ng's single-layer feature learning and
/// Dieleman & Schrauwen's music features). A track's code is how strongly, on average over its patches, each codebook
/// entry is present, log-compressed.
///
/// It sees what the hand-made `TrackDescriptor` summarises away, for instance a distorted guitar's smeared harmonics
/// against a synthesiser's clean ones: on development splits of the genres collection (never the reported splits) it
/// raised an electronic taste's AUROC against rock/metal from 0.86 to 0.93.
public struct PatchCodebook: Codable, Sendable, Equatable {
    /// Adjacent mel bands averaged into one before patches are cut (128 bands -> 32).
    public var bandsPerGroup: Int
    /// Frames per patch, and frames between the starts of two patches.
    public var patchFrames: Int
    public var patchHop: Int
    /// An entry counts only where its cosine with the whitened patch exceeds this (a sparse code).
    public var threshold: Float
    /// The pooled code is log(code + floor) - log(floor).
    public var logFloor: Float
    /// The reference patches' mean (`patchLength` values).
    public var mean: [Float]
    /// `patchLength` x `patchLength`, row-major: whitened = (patch - mean) x whitening.
    public var whitening: [Float]
    /// `count` x `patchLength`, row-major, each row of unit length.
    public var centroids: [Float]
    public var count: Int

    /// Values in one patch.
    public var patchLength: Int { mean.count }

    /// How a codebook is learned.
    public struct LearnSettings: Sendable {
        public var bandsPerGroup = 4
        public var patchFrames = 8
        public var patchHop = 4
        public var threshold: Float = 0.2
        public var logFloor: Float = 1e-3
        /// Codebook entries.
        public var count = 256
        /// Added to every variance before whitening (dB²): keeps near-silent directions from being blown up.
        public var whiteningEpsilon = 1.0
        public var iterations = 15
        public var seed: UInt64 = 0
        /// Patches sampled from the reference library to learn from (at most).
        public var samplePatches = 100_000

        public init() {}
    }

    /// Cuts `settings`-shaped patches out of decibel mel spectrograms (`[excerpt][band][frame]`), each less its own mean.
    public static func patches(decibelMels: [Float], excerpts: Int, bands: Int, frames: Int, bandsPerGroup: Int,
                               patchFrames: Int, patchHop: Int) -> [Float] {
        let groups = bands / bandsPerGroup
        guard groups > 0, frames >= patchFrames else { return [] }
        let length = groups * patchFrames
        let starts = stride(from: 0, through: frames - patchFrames, by: patchHop)
        var out = [Float]()
        out.reserveCapacity(excerpts * starts.underestimatedCount * length)
        var grouped = [Float](repeating: 0, count: groups * frames)
        var patch = [Float](repeating: 0, count: length)
        for e in 0..<excerpts {
            let image = e * bands * frames
            for g in 0..<groups {
                for t in 0..<frames {
                    var sum: Float = 0
                    for b in (g * bandsPerGroup)..<((g + 1) * bandsPerGroup) {
                        sum += max(decibelMels[image + b * frames + t], TrackDescriptor.floorDecibels)
                    }
                    grouped[g * frames + t] = sum / Float(bandsPerGroup)
                }
            }
            for start in starts {
                for g in 0..<groups { for f in 0..<patchFrames { patch[g * patchFrames + f] = grouped[g * frames + start + f] } }
                let level = patch.reduce(0, +) / Float(length)
                out += patch.map { $0 - level }
            }
        }
        return out
    }

    /// The patches of one track's mel spectrograms, shaped for this codebook.
    public func patches(decibelMels: [Float], excerpts: Int, bands: Int, frames: Int) -> [Float] {
        Self.patches(decibelMels: decibelMels, excerpts: excerpts, bands: bands, frames: frames, bandsPerGroup: bandsPerGroup,
                     patchFrames: patchFrames, patchHop: patchHop)
    }

    /// The track's code (`count` values) from the decibel mel spectrograms of its excerpts.
    public func code(decibelMels: [Float], excerpts: Int, bands: Int, frames: Int) -> [Float] {
        let rows = patches(decibelMels: decibelMels, excerpts: excerpts, bands: bands, frames: frames)
        let n = rows.count / patchLength
        var pooled = [Float](repeating: 0, count: count)
        if n > 0 {
            let activations = activations(ofPatches: rows)
            for i in 0..<n { for k in 0..<count { pooled[k] += activations[i * count + k] } }
        }
        let floor = logFloor
        return pooled.map { log($0 / Float(max(n, 1)) + floor) - log(floor) }
    }

    /// Thresholded cosines of whitened patches (rows of `patchLength`) with every entry: n x `count`.
    func activations(ofPatches rows: [Float]) -> [Float] {
        var whitened = MatrixProduct.rows(MatrixProduct.centred(rows, mean: mean), times: whitening, columns: patchLength)
        MatrixProduct.normaliseRows(&whitened, length: patchLength)
        let similarities = MatrixProduct.rows(whitened, timesTransposed: centroids, rowsOfB: count)
        return similarities.map { max(0, $0 - threshold) }
    }

    /// Learns a codebook from patches (rows of `patches` cut with `settings`' shape) of a reference library.
    /// - Throws: `DescriptorSpaceError` when there are fewer patches than codebook entries.
    public static func learn(patches rows: [Float], settings: LearnSettings, patchLength length: Int) throws -> PatchCodebook {
        let n = rows.count / length
        guard n >= settings.count else {
            throw DescriptorSpaceError(message: "a patch codebook of \(settings.count) entries needs at least as many patches; found \(n)")
        }
        var mean = [Double](repeating: 0, count: length)
        for i in 0..<n { for d in 0..<length { mean[d] += Double(rows[i * length + d]) } }
        mean = mean.map { $0 / Double(n) }
        let covariance = MatrixProduct.covariance(rows, mean: mean, length: length)
        let (values, vectors) = SymmetricEigen.decompose(covariance, n: length)
        var whitening = [Float](repeating: 0, count: length * length)
        for i in 0..<length {
            for j in 0..<length {
                whitening[i * length + j] = Float(vectors[i * length + j] / (max(values[j], 0) + settings.whiteningEpsilon).squareRoot())
            }
        }
        var whitened = MatrixProduct.rows(MatrixProduct.centred(rows, mean: mean.map(Float.init)), times: whitening, columns: length)
        MatrixProduct.normaliseRows(&whitened, length: length)
        let centroids = SphericalKMeans.fit(unitRows: whitened, length: length, count: settings.count, iterations: settings.iterations,
                                            seed: settings.seed)
        return PatchCodebook(bandsPerGroup: settings.bandsPerGroup, patchFrames: settings.patchFrames, patchHop: settings.patchHop,
                             threshold: settings.threshold, logFloor: settings.logFloor, mean: mean.map(Float.init),
                             whitening: whitening, centroids: centroids, count: settings.count)
    }
}

/// Spherical k-means: centroids on the unit sphere, each patch assigned to the one of largest cosine.
enum SphericalKMeans {
    /// `count` unit-length centroids of `unitRows` (rows of `length`), seeded: the same input gives the same centroids.
    static func fit(unitRows rows: [Float], length: Int, count: Int, iterations: Int, seed: UInt64) -> [Float] {
        let n = rows.count / length
        var generator = SeededGenerator(seed: seed)
        var centroids = [Float]()
        for i in pickDistinct(count, below: n, using: &generator) { centroids += rows[(i * length)..<((i + 1) * length)] }
        for _ in 0..<iterations {
            let similarities = MatrixProduct.rows(rows, timesTransposed: centroids, rowsOfB: count)
            var sums = [Float](repeating: 0, count: count * length)
            var members = [Int](repeating: 0, count: count)
            for i in 0..<n {
                var best = 0
                for k in 1..<count where similarities[i * count + k] > similarities[i * count + best] { best = k }
                members[best] += 1
                for d in 0..<length { sums[best * length + d] += rows[i * length + d] }
            }
            // An entry nobody chose restarts at a random patch rather than staying a dead code.
            for k in 0..<count where members[k] == 0 {
                let i = Int(generator.next() % UInt64(n))
                for d in 0..<length { sums[k * length + d] = rows[i * length + d] }
            }
            MatrixProduct.normaliseRows(&sums, length: length)
            centroids = sums
        }
        return centroids
    }

    /// `count` distinct indices below `n`, in a seeded order.
    static func pickDistinct(_ count: Int, below n: Int, using generator: inout SeededGenerator) -> [Int] {
        var indices = Array(0..<n)
        for i in 0..<count {
            let j = i + Int(generator.next() % UInt64(n - i))
            indices.swapAt(i, j)
        }
        return Array(indices.prefix(count))
    }
}

/// The few dense products the codebook needs, written so the compiler vectorises their inner loops.
enum MatrixProduct {
    /// Each row less `mean`.
    static func centred(_ rows: [Float], mean: [Float]) -> [Float] {
        let length = mean.count
        return rows.indices.map { rows[$0] - mean[$0 % length] }
    }

    /// a (n x k, row-major) times b (k x `columns`, row-major).
    static func rows(_ a: [Float], times b: [Float], columns m: Int) -> [Float] {
        let k = b.count / m, n = a.count / k
        var c = [Float](repeating: 0, count: n * m)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        let out = c.baseAddress! + i * m
                        for p in 0..<k {
                            let x = a[i * k + p]
                            if x == 0 { continue }
                            let row = b.baseAddress! + p * m
                            for j in 0..<m { out[j] += x * row[j] }
                        }
                    }
                }
            }
        }
        return c
    }

    /// a (n x k) times the transpose of b (`rowsOfB` x k): every row of a against every row of b.
    static func rows(_ a: [Float], timesTransposed b: [Float], rowsOfB m: Int) -> [Float] {
        let k = b.count / m
        var transposed = [Float](repeating: 0, count: k * m)
        for j in 0..<m { for p in 0..<k { transposed[p * m + j] = b[j * k + p] } }
        return rows(a, times: transposed, columns: m)
    }

    /// Scales every row (of `length`) to unit length; zero rows stay zero.
    static func normaliseRows(_ rows: inout [Float], length: Int) {
        rows.withUnsafeMutableBufferPointer { rows in
            for start in stride(from: 0, to: rows.count, by: length) {
                var square: Float = 0
                for d in start..<(start + length) { square += rows[d] * rows[d] }
                let scale = square > 1e-16 ? 1 / square.squareRoot() : 0
                for d in start..<(start + length) { rows[d] *= scale }
            }
        }
    }

    /// The covariance (`length` x `length`, row-major, Double) of rows about `mean`.
    static func covariance(_ rows: [Float], mean: [Double], length: Int) -> [Double] {
        let n = rows.count / length
        let centred = centred(rows, mean: mean.map(Float.init))
        var transposed = [Float](repeating: 0, count: rows.count)
        for i in 0..<n { for d in 0..<length { transposed[d * n + i] = centred[i * length + d] } }
        // (length x n) times (n x length), in float blocks summed in double to keep the rounding of 10^5 terms small.
        var sum = [Double](repeating: 0, count: length * length)
        let block = 4096
        for start in stride(from: 0, to: n, by: block) {
            let end = min(start + block, n)
            var left = [Float](), right = [Float]()
            left.reserveCapacity(length * (end - start))
            for d in 0..<length { left += transposed[(d * n + start)..<(d * n + end)] }
            right += centred[(start * length)..<(end * length)]
            let part = MatrixProduct.rows(left, times: right, columns: length)
            for i in sum.indices { sum[i] += Double(part[i]) }
        }
        return sum.map { $0 / Double(max(n - 1, 1)) }
    }
}
