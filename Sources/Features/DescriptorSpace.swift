import Foundation

/// Where track descriptors are compared. Each raw value is standardised by a reference library's spread (so that no
/// statistic counts for more because of its unit) and weighted so that each named part of the descriptor counts as
/// much as any other whatever its length; then a linear projection learned on the reference library keeps the
/// directions along which its sources (games, albums, artists: one folder each) differ most against how much tracks
/// of one source vary (regularised linear discriminant analysis); last, unit length.
///
/// The sources are the only labels: no taste and no benchmark style is involved. `TrackDescriptor`'s built-in space
/// (`DescriptorSpace.builtIn`) was fitted on freely licensed game music that no benchmark uses
/// (`scripts/build-descriptor-space.sh`); `tunescore pretrain` fits one on any library.
public struct DescriptorSpace: Codable, Sendable, Equatable {
    /// Per raw value: the reference library's mean and standard deviation.
    public var mean: [Float]
    public var deviation: [Float]
    /// `TrackDescriptor.dimension` rows x `outputDimension` columns, row-major.
    public var projection: [Float]
    public var outputDimension: Int
    /// Tracks and sources the space was fitted on (0: the neutral space, no projection learned).
    public var referenceTracks: Int
    public var referenceSources: Int
    /// The reference library's tracks embedded in this space: the music a taste is told apart from (how typical a
    /// track is of music in general). Empty in the neutral space and in spaces written before it was kept.
    public var background: [[Float]]
    /// The learned patch code and its own space (nil in the neutral space and in spaces written before it). With it,
    /// a raw descriptor is `TrackDescriptor`'s values followed by the code, and an embedding is the descriptor's
    /// followed by the code's: two blocks that `densityBlocks` weighs.
    public var patchCode: PatchCodeSpace?

    private enum CodingKeys: String, CodingKey {
        case mean, deviation, projection, outputDimension, referenceTracks, referenceSources, background, patchCode
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mean = try container.decode([Float].self, forKey: .mean)
        deviation = try container.decode([Float].self, forKey: .deviation)
        projection = try container.decode([Float].self, forKey: .projection)
        outputDimension = try container.decode(Int.self, forKey: .outputDimension)
        referenceTracks = try container.decode(Int.self, forKey: .referenceTracks)
        referenceSources = try container.decode(Int.self, forKey: .referenceSources)
        background = try container.decodeIfPresent([[Float]].self, forKey: .background) ?? []
        patchCode = try container.decodeIfPresent(PatchCodeSpace.self, forKey: .patchCode)
    }

    /// Values in a raw descriptor this space embeds.
    public var rawDimension: Int { TrackDescriptor.dimension + (patchCode?.codebook.count ?? 0) }

    /// Values in an embedding.
    public var embeddingDimension: Int { outputDimension + (patchCode?.outputDimension ?? 0) }

    /// The embedding's blocks and the weight of each block's log density in a taste's score.
    public var densityBlocks: [DensityBlock] {
        let descriptorBlock = DensityBlock(range: 0..<outputDimension, weight: 1)
        guard patchCode != nil else { return [descriptorBlock] }
        return [descriptorBlock, DensityBlock(range: outputDimension..<embeddingDimension, weight: PatchCodeSpace.densityWeight)]
    }

    /// How the fit is shaped.
    public struct FitSettings: Sendable {
        /// Projected dimensions kept.
        public var dimension = 32
        /// Weight of the identity in the within-source scatter (0 = plain LDA, 1 = whitening of nothing: PCA of the
        /// source means): with a few hundred tracks, 0.6 keeps rare directions from being blown up.
        public var shrinkage: Float = 0.6
        /// Sources with fewer tracks than this do not shape the within-source scatter.
        public var minimumSourceTracks = 3

        public init() {}
    }

    public init(mean: [Float], deviation: [Float], projection: [Float], outputDimension: Int, referenceTracks: Int,
                referenceSources: Int, background: [[Float]] = []) {
        precondition(mean.count == TrackDescriptor.dimension && deviation.count == TrackDescriptor.dimension
                     && projection.count == TrackDescriptor.dimension * outputDimension)
        self.mean = mean
        self.deviation = deviation
        self.projection = projection
        self.outputDimension = outputDimension
        self.referenceTracks = referenceTracks
        self.referenceSources = referenceSources
        self.background = background
    }

    /// The built-in space (`BuiltInDescriptorSpace`), or the neutral one in a build without it.
    public static let builtIn: DescriptorSpace = {
        guard !BuiltInDescriptorSpace.json.isEmpty,
              let space = try? JSONDecoder().decode(DescriptorSpace.self, from: Data(BuiltInDescriptorSpace.json.utf8)),
              space.mean.count == TrackDescriptor.dimension else { return .neutral }
        return space
    }()

    /// The neutral space: no standardisation, no projection (descriptors compared as they are, part-weighted).
    public static var neutral: DescriptorSpace {
        let n = TrackDescriptor.dimension
        return DescriptorSpace(mean: [Float](repeating: 0, count: n), deviation: [Float](repeating: 1, count: n),
                               projection: (0..<(n * n)).map { $0 / n == $0 % n ? 1 : 0 }, outputDimension: n,
                               referenceTracks: 0, referenceSources: 0)
    }

    /// Fits a space on raw descriptors of a reference library; `sources[i]` names where track i comes from.
    /// - Throws: `DescriptorSpaceError` when fewer than two sources have `minimumSourceTracks` tracks.
    public init(fitting descriptors: [[Float]], sources: [String], settings: FitSettings = FitSettings()) throws {
        precondition(descriptors.count == sources.count)
        let fitted = try Self.fitProjection(descriptors, weights: Self.partWeights, sources: sources, settings: settings)
        self.init(mean: fitted.mean, deviation: fitted.deviation, projection: fitted.projection, outputDimension: fitted.columns,
                  referenceTracks: descriptors.count, referenceSources: fitted.sources)
        background = descriptors.map(embed)
    }

    /// Fits a space on raw descriptors and patch codes (`codebook`'s) of a reference library: the descriptor's space as
    /// above, and the code's own, fitted the same way; the background holds both embeddings of every reference track.
    public init(fitting descriptors: [[Float]], codes: [[Float]], codebook: PatchCodebook, sources: [String],
                settings: FitSettings = FitSettings()) throws {
        try self.init(fitting: descriptors, sources: sources, settings: settings)
        patchCode = try PatchCodeSpace(fitting: codes, codebook: codebook, sources: sources, settings: settings)
        background = zip(descriptors, codes).map { embed($0 + $1) }
    }

    /// The weight of each raw value: 1 / sqrt(length of its part).
    static let partWeights: [Float] = TrackDescriptor.parts.flatMap { part in
        [Float](repeating: 1 / Float(part.count).squareRoot(), count: part.count)
    }

    /// The embedding of a raw descriptor (`rawDimension` values): unit length per block.
    public func embed(_ descriptor: [Float]) -> [Float] {
        let n = TrackDescriptor.dimension
        precondition(descriptor.count == rawDimension)
        let own = Self.project(descriptor[0..<n], mean: mean, deviation: deviation, weights: Self.partWeights, projection: projection,
                               outputDimension: outputDimension)
        guard let patchCode else { return own }
        return own + patchCode.embed(descriptor[n...])
    }

    /// Standardises `values`, weights them, projects them and scales the result to unit length.
    static func project(_ values: ArraySlice<Float>, mean: [Float], deviation: [Float], weights: [Float], projection: [Float],
                        outputDimension: Int) -> [Float] {
        let n = mean.count
        let z = zip(values.indices, 0..<n).map { i, d in (values[i] - mean[d]) / max(deviation[d], 1e-6) * weights[d] }
        var v = [Float](repeating: 0, count: outputDimension)
        for i in 0..<n where z[i] != 0 {
            let row = i * outputDimension
            for j in 0..<outputDimension { v[j] += z[i] * projection[row + j] }
        }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }

    /// Per-value standardisation and the discriminant projection of `rows` (weighted by `weights`), as fitted on them.
    static func fitProjection(_ rows: [[Float]], weights: [Float], sources: [String], settings: FitSettings) throws
        -> (mean: [Float], deviation: [Float], projection: [Float], columns: Int, sources: Int) {
        let n = weights.count
        var mean = [Double](repeating: 0, count: n), square = mean
        for d in rows {
            for i in 0..<n {
                mean[i] += Double(d[i]) / Double(rows.count)
                square[i] += Double(d[i]) * Double(d[i]) / Double(rows.count)
            }
        }
        let deviation = zip(mean, square).map { max(0, $1 - $0 * $0).squareRoot() }
        let standardised = rows.map { d in
            (0..<n).map { i in (Double(d[i]) - mean[i]) / max(deviation[i], 1e-6) * Double(weights[i]) }
        }
        let counts = Dictionary(grouping: sources.indices, by: { sources[$0] }).filter { $0.value.count >= settings.minimumSourceTracks }
        guard counts.count >= 2 else {
            throw DescriptorSpaceError(message: "a descriptor space needs at least two sources (folders) of \(settings.minimumSourceTracks) or more tracks; found \(counts.count)")
        }
        let projection = discriminantProjection(standardised, groups: Array(counts.values), dimension: min(settings.dimension, n),
                                                shrinkage: Double(settings.shrinkage))
        return (mean.map(Float.init), deviation.map(Float.init), projection.values.map(Float.init), projection.columns, counts.count)
    }

    /// Regularised LDA: whiten the shrunk within-group scatter, then keep the leading principal directions of the
    /// group means in the whitened space. Returns an n x dimension matrix, row-major.
    static func discriminantProjection(_ rows: [[Double]], groups: [[Int]], dimension: Int, shrinkage: Double)
        -> (values: [Double], columns: Int) {
        let n = rows[0].count
        let members = groups.flatMap { $0 }
        let total = Double(members.count)
        var grandMean = [Double](repeating: 0, count: n)
        for i in members { for d in 0..<n { grandMean[d] += rows[i][d] / total } }
        var within = [Double](repeating: 0, count: n * n), between = within
        for group in groups {
            var groupMean = [Double](repeating: 0, count: n)
            for i in group { for d in 0..<n { groupMean[d] += rows[i][d] / Double(group.count) } }
            for i in group {
                let centred = (0..<n).map { rows[i][$0] - groupMean[$0] }
                addOuter(centred, scale: 1 / total, into: &within, n: n)
            }
            addOuter((0..<n).map { groupMean[$0] - grandMean[$0] }, scale: Double(group.count) / total, into: &between, n: n)
        }
        let trace = (0..<n).reduce(0.0) { $0 + within[$1 * n + $1] } / Double(n)
        for i in 0..<n {
            for j in 0..<n { within[i * n + j] *= 1 - shrinkage }
            within[i * n + i] += shrinkage * trace
        }
        // W = V diag(1/sqrt(lambda)) whitens the within scatter; the between scatter's leading eigenvectors in that
        // space, mapped back through W, are the discriminant directions.
        let (values, vectors) = SymmetricEigen.decompose(within, n: n)
        var whitening = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { whitening[i * n + j] = vectors[i * n + j] / max(values[j], 1e-12).squareRoot() } }
        let whitenedBetween = multiply(transpose(whitening, n: n), multiply(between, whitening, n: n), n: n)
        let (betweenValues, betweenVectors) = SymmetricEigen.decompose(whitenedBetween, n: n)
        let order = betweenValues.indices.sorted { betweenValues[$0] > betweenValues[$1] }.prefix(dimension)
        var projection = [Double](repeating: 0, count: n * order.count)
        for i in 0..<n {
            for (column, k) in order.enumerated() {
                projection[i * order.count + column] = (0..<n).reduce(0.0) { $0 + whitening[i * n + $1] * betweenVectors[$1 * n + k] }
            }
        }
        return (projection, order.count)
    }

    private static func addOuter(_ v: [Double], scale: Double, into matrix: inout [Double], n: Int) {
        for i in 0..<n where v[i] != 0 { for j in 0..<n { matrix[i * n + j] += scale * v[i] * v[j] } }
    }

    private static func multiply(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n where a[i * n + k] != 0 { for j in 0..<n { c[i * n + j] += a[i * n + k] * b[k * n + j] } } }
        return c
    }

    private static func transpose(_ a: [Double], n: Int) -> [Double] {
        (0..<(n * n)).map { a[($0 % n) * n + $0 / n] }
    }
}

/// One block of an embedding and the weight of its log density in a taste's score.
public struct DensityBlock: Sendable, Equatable {
    public var range: Range<Int>
    public var weight: Double

    public init(range: Range<Int>, weight: Double) {
        self.range = range
        self.weight = weight
    }
}

/// A patch code's own space: standardised, projected (regularised LDA over the reference sources), unit length.
public struct PatchCodeSpace: Codable, Sendable, Equatable {
    public var codebook: PatchCodebook
    public var mean: [Float]
    public var deviation: [Float]
    /// `codebook.count` rows x `outputDimension` columns, row-major.
    public var projection: [Float]
    public var outputDimension: Int
    /// The weight of the code's log density next to the descriptor's (1): chosen among 0.5-1 on development splits
    /// of the genres collection (every style, never the reported splits).
    public static let densityWeight = 0.75

    /// Fits the code's space on the reference library's codes.
    public init(fitting codes: [[Float]], codebook: PatchCodebook, sources: [String], settings: DescriptorSpace.FitSettings) throws {
        precondition(codes.count == sources.count && codes.allSatisfy { $0.count == codebook.count })
        let weights = [Float](repeating: 1 / Float(codebook.count).squareRoot(), count: codebook.count)
        let fitted = try DescriptorSpace.fitProjection(codes, weights: weights, sources: sources, settings: settings)
        self.codebook = codebook
        (mean, deviation, projection, outputDimension) = (fitted.mean, fitted.deviation, fitted.projection, fitted.columns)
    }

    /// The unit-length embedding of a code.
    public func embed(_ code: ArraySlice<Float>) -> [Float] {
        DescriptorSpace.project(code, mean: mean, deviation: deviation,
                                weights: [Float](repeating: 1 / Float(codebook.count).squareRoot(), count: codebook.count),
                                projection: projection, outputDimension: outputDimension)
    }
}

/// A descriptor space cannot be fitted or read.
public struct DescriptorSpaceError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}

/// Eigen-decomposition of a real symmetric matrix by cyclic Jacobi rotations (exact to rounding; fine for the
/// hundred-odd dimensions of a descriptor).
enum SymmetricEigen {
    /// Eigenvalues and eigenvectors (column k of the row-major n x n result belongs to value k).
    static func decompose(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        var a = matrix
        var v = (0..<(n * n)).map { $0 / n == $0 % n ? 1.0 : 0.0 }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p * n + q] * a[p * n + q] } }
            if off < 1e-22 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where abs(a[p * n + q]) > 1e-300 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }
}
