import CTorch
import Features
import Foundation
import LibraryScanner

/// The two novelty scores of each item: higher = more like the training data.
public struct ItemScores: Sendable {
    /// The seed's score: the norm of the clean item's projection.
    public var norm: [Double]
    /// CSI's score: shift-ensembled nearest-training-feature similarity plus shift-head confidence,
    /// each term calibrated on the training items.
    public var csi: [Double]
    /// CSI's two terms apart (each averaged over shifts; csi = similarity + shift): which of them carries
    /// the signal on a data set.
    public var similarity: [Double] = []
    public var shift: [Double] = []
    /// Unit-length projections of the clean items, row-major (items x projection width): what
    /// "closest liked track" compares.
    public var embeddings: [Float]

    public init(norm: [Double], csi: [Double], embeddings: [Float] = []) {
        self.norm = norm
        self.csi = csi
        self.embeddings = embeddings
    }
}

/// What CSI's score is calibrated with: per shift, the unit-length training features and the two
/// term weights. Codable, so a trained model carries it and scoring needs no training data.
public struct CSIReference: Codable, Sendable {
    public var projectionDim: Int
    public var count: Int
    /// Per shift: count x projectionDim, row-major.
    public var axes: [[Float]]
    public var simWeights: [Double]
    public var shiftWeights: [Double]
}

/// How many augmented samples and training items CSI's score uses.
public struct ScoringSettings: Sendable {
    /// Augmented samples averaged per item and shift (CSI's `ood_samples`).
    public var samples: Int
    /// Inputs per forward pass.
    public var batchSize: Int
    public var seed: UInt64
    public var dataThreads: Int
    /// False: the CSI score is the shift term alone (`csi_terms` = shift).
    public var usesSimilarity: Bool
    /// False: score the clean shifted inputs (one sample; `eval_augment` = false) instead of augmented samples.
    public var augmentsSamples: Bool

    public init(samples: Int, batchSize: Int = 256, seed: UInt64 = 0, dataThreads: Int = 1, usesSimilarity: Bool = true,
                augmentsSamples: Bool = true) {
        // Clean samples of one item are all the same: one is enough.
        self.samples = augmentsSamples ? max(1, samples) : 1
        self.augmentsSamples = augmentsSamples
        self.batchSize = max(1, batchSize)
        self.seed = seed
        self.dataThreads = max(1, dataThreads)
        self.usesSimilarity = usesSimilarity
    }
}

/// CSI's detection score, calibrated on a set of training items (Tack et al. 2020, "CSI" score):
/// for each shift k, z_k(x) is the mean projection over augmented samples of shift k;
/// sim_k = max over training items m of <z_k(x), z_k(m)/||z_k(m)||>, weighted by 1 / mean ||z_k(m)||;
/// shift_k = the shift head's logit k, weighted by 1 / its mean over training items; score = mean over k.
public final class CSIScorer: @unchecked Sendable {
    public let network: CSINetwork
    public let settings: ScoringSettings
    /// The calibration: training features and term weights.
    public let reference: CSIReference
    /// Number of training items the scorer was calibrated on.
    public var referenceCount: Int { reference.count }

    /// Calibrates on `reference` (the training items, or a subset of them).
    public init<Reference: TrainingSource>(network: CSINetwork, reference: Reference, settings: ScoringSettings) throws {
        self.network = network
        self.settings = settings
        let features = try CSIScorer.shiftFeatures(of: reference, network: network, settings: settings)
        let dim = network.spec.projectionDim
        var calibration = CSIReference(projectionDim: dim, count: reference.count, axes: [], simWeights: [], shiftWeights: [])
        for k in 0..<network.spec.numShifts {
            var axis = features.projection[k]
            var normSum = 0.0
            for m in 0..<reference.count {
                normSum += normalize(&axis[(m * dim)..<((m + 1) * dim)])
            }
            calibration.axes.append(axis)
            calibration.simWeights.append(Double(reference.count) / max(normSum, 1e-12))
            let meanShift = features.shiftLogit[k].reduce(0, +) / Double(reference.count)
            // A shift head that is not confident on average gives no usable scale: leave it unweighted.
            calibration.shiftWeights.append(abs(meanShift) > 1e-6 ? 1 / meanShift : 1)
        }
        self.reference = calibration
    }

    /// A scorer with a calibration computed earlier (stored with the model).
    public init(network: CSINetwork, reference: CSIReference, settings: ScoringSettings) throws {
        guard reference.projectionDim == network.spec.projectionDim, reference.axes.count == network.spec.numShifts else {
            throw TorchError(code: .mismatch, message: "the stored CSI calibration does not fit this network (\(reference.axes.count) shifts of width \(reference.projectionDim), the network has \(network.spec.numShifts) of \(network.spec.projectionDim))")
        }
        self.network = network
        self.settings = settings
        self.reference = reference
    }

    /// Both scores for every item of `source`.
    public func scores<Source: TrainingSource>(_ source: Source) throws -> ItemScores {
        let features = try CSIScorer.shiftFeatures(of: source, network: network, settings: settings)
        var similarity = [Double](repeating: 0, count: source.count), shift = similarity
        let shifts = network.spec.numShifts
        for k in 0..<shifts {
            let best = try maxDot(queries: features.projection[k], count: source.count, keys: reference.axes[k],
                                  keyCount: reference.count, dim: reference.projectionDim)
            for i in 0..<source.count {
                similarity[i] += Double(best[i]) * reference.simWeights[k] / Double(shifts)
                shift[i] += features.shiftLogit[k][i] * reference.shiftWeights[k] / Double(shifts)
            }
        }
        // With clean samples, shift 0's forward pass already is the clean input's: its projection is not computed twice.
        var clean = try source.cleanInputIsShiftZero && !settings.augmentsSamples
            ? Self.unitProjections(features.projection[0], dim: network.spec.projectionDim) : cleanScores(source)
        clean.csi = settings.usesSimilarity ? zip(similarity, shift).map(+) : shift
        clean.similarity = similarity
        clean.shift = shift
        return clean
    }

    /// The seed's score (||projection|| of each clean item) and the unit-length clean projections;
    /// `csi` is left empty.
    public func cleanScores<Source: TrainingSource>(_ source: Source) throws -> ItemScores {
        let dim = network.spec.projectionDim
        var result = ItemScores(norm: [], csi: [], embeddings: [])
        result.norm.reserveCapacity(source.count)
        result.embeddings.reserveCapacity(source.count * dim)
        try forEachChunk(of: source.count, chunk: settings.batchSize) { range in
            let input = fill(source.shape, count: range.count, threads: settings.dataThreads) { i, slot in
                source.writeCleanInput(of: range.lowerBound + i, into: slot)
            }
            let chunk = Self.unitProjections(try network.forward(input, count: range.count).projection, dim: dim)
            result.norm += chunk.norm
            result.embeddings += chunk.embeddings
        }
        return result
    }

    /// The norm of each projection row and the rows scaled to unit length.
    private static func unitProjections(_ projection: [Float], dim: Int) -> ItemScores {
        var unit = projection
        let norms = (0..<(projection.count / dim)).map { i in normalize(&unit[(i * dim)..<((i + 1) * dim)]) }
        return ItemScores(norm: norms, csi: [], embeddings: unit)
    }

    /// Mean projection and shift logit per shift over `samples` samples (augmented, or one clean one).
    private static func shiftFeatures<Source: TrainingSource>(of source: Source, network: CSINetwork, settings: ScoringSettings) throws
        -> (projection: [[Float]], shiftLogit: [[Double]]) {
        let shifts = network.spec.numShifts, dim = network.spec.projectionDim, samples = settings.samples
        var projection = [[Float]](repeating: [Float](repeating: 0, count: source.count * dim), count: shifts)
        var shiftLogit = [[Double]](repeating: [Double](repeating: 0, count: source.count), count: shifts)
        let perItem = shifts * samples
        let itemsPerChunk = max(1, settings.batchSize / perItem)
        let base = SeededGenerator(seed: settings.seed ^ 0xE7A1)
        try forEachChunk(of: source.count, chunk: itemsPerChunk) { range in
            // Layout: item-major, then shift, then sample.
            let input = fill(source.shape, items: range.count, slotsPerItem: perItem, threads: settings.dataThreads) { local, slots in
                let item = range.lowerBound + local
                let generators = (0..<perItem).map { base.derived(UInt64(item)).derived(UInt64(($0 / samples) * 1000 + $0 % samples)) }
                guard settings.augmentsSamples else {
                    return source.writeCleanShiftedInputs(of: item, generators: generators, into: slots)
                }
                for (index, slot) in slots.enumerated() {
                    var generator = generators[index]
                    source.writeEvaluationSample(of: item, shift: index / samples, shifts: shifts, augmented: true,
                                                 generator: &generator, into: slot)
                }
            }
            let out = try network.forward(input, count: range.count * perItem)
            for local in 0..<range.count {
                let item = range.lowerBound + local
                for k in 0..<shifts {
                    for s in 0..<samples {
                        let row = local * perItem + k * samples + s
                        for d in 0..<dim { projection[k][item * dim + d] += out.projection[row * dim + d] / Float(samples) }
                        shiftLogit[k][item] += Double(out.shiftLogits[row * shifts + k]) / Double(samples)
                    }
                }
            }
        }
        return (projection, shiftLogit)
    }
}

/// Calls `body` with consecutive ranges of at most `chunk` indices covering 0..<count.
func forEachChunk(of count: Int, chunk: Int, _ body: (Range<Int>) throws -> Void) rethrows {
    for start in stride(from: 0, to: count, by: chunk) { try body(start..<min(count, start + chunk)) }
}

/// A buffer of `count` inputs of `shape`, input i written by `write(i, slot)`.
func fill(_ shape: ItemShape, count: Int, threads: Int = 1,
          _ write: (Int, UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
    fill(shape, items: count, slotsPerItem: 1, threads: threads) { write($0, $1[0]) }
}

/// A buffer of `items` x `slotsPerItem` inputs of `shape`, item i's consecutive slots written by `write(i, slots)`.
func fill(_ shape: ItemShape, items: Int, slotsPerItem: Int, threads: Int = 1,
          _ write: (Int, [UnsafeMutableBufferPointer<Float>]) -> Void) -> [Float] {
    var input = [Float](repeating: 0, count: items * slotsPerItem * shape.size)
    input.withUnsafeMutableBufferPointer { buffer in
        let base = SendablePointer(buffer.baseAddress!)
        parallelFor(items, threads: threads) { i in
            write(i, (0..<slotsPerItem).map { UnsafeMutableBufferPointer(start: base.pointer + (i * slotsPerItem + $0) * shape.size, count: shape.size) })
        }
    }
    return input
}

/// Scales a vector to unit length in place and returns its former length.
@discardableResult
func normalize(_ v: inout ArraySlice<Float>) -> Double {
    let norm = Double(v.reduce(0) { $0 + $1 * $1 }).squareRoot()
    let scale = Float(1 / max(norm, 1e-12))
    for i in v.indices { v[i] *= scale }
    return norm
}

/// For each query row, the largest dot product with any key row (through libtorch's matmul).
func maxDot(queries: [Float], count: Int, keys: [Float], keyCount: Int, dim: Int) throws -> [Float] {
    var best = [Float](repeating: 0, count: count)
    try TorchError.check { err in
        queries.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                best.withUnsafeMutableBufferPointer { b in
                    ct_max_dot(q.baseAddress, Int64(count), k.baseAddress, Int64(keyCount), Int64(dim), b.baseAddress, err)
                }
            }
        }
    }
    return best
}
