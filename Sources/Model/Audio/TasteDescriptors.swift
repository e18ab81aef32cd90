import Features
import Foundation
import LibraryScanner

/// Computes `TrackDescriptor`s of decoded tracks from the same evenly spread excerpts that scoring uses.
public struct DescriptorExtractor: Sendable {
    public let mel: MelSpectrogram
    /// At most this many excerpts per track (0 = all).
    public let maxExcerpts: Int
    /// With a codebook, a raw descriptor ends with the track's patch code.
    public let codebook: PatchCodebook?

    public init(sampleRate: Int, excerptLength: Int, maxExcerpts: Int, codebook: PatchCodebook? = nil) {
        mel = MelSpectrogram(sampleRate: sampleRate, excerptLength: excerptLength)
        self.maxExcerpts = maxExcerpts
        self.codebook = codebook
    }

    public init(config: RunConfig, codebook: PatchCodebook? = nil) {
        self.init(sampleRate: config.sampleRate, excerptLength: config.sampleLength, maxExcerpts: config.maxExcerptsPerTrack,
                  codebook: codebook)
    }

    /// The raw descriptor of one track (with its patch code, given a codebook).
    public func descriptor(of track: PCMTrack) -> [Float] {
        let mels = decibelMels(of: track)
        let descriptor = TrackDescriptor.compute(decibelMels: mels.values, excerpts: mels.excerpts, bands: mel.bandCount, frames: mel.frameCount)
        guard let codebook else { return descriptor }
        return descriptor + codebook.code(decibelMels: mels.values, excerpts: mels.excerpts, bands: mel.bandCount, frames: mel.frameCount)
    }

    /// The decibel mel spectrograms of the track's scored excerpts (`[excerpt][band][frame]`).
    public func decibelMels(of track: PCMTrack) -> (values: [Float], excerpts: Int) {
        let items = AudioExcerpts.fixedItems(pcm: [track], excerptLength: mel.excerptLength, limit: maxExcerpts)
        let excerpts = items.map { track.excerpt(from: $0.start ?? 0, length: mel.excerptLength) }
        return (mel.decibelMelBatch(excerpts, workers: 1), excerpts.count)
    }

    /// Raw descriptors of `tracks`, one track per thread at a time.
    public func descriptors(of tracks: [PCMTrack], threads: Int) -> [[Float]] {
        parallelMap(tracks.count, threads: threads) { descriptor(of: tracks[$0]) }
    }
}

/// A track's taste score from the liked tracks around it: the log of a Gaussian kernel density over the liked
/// tracks' embeddings, log mean exp(-gamma |x - liked_i|^2), over one block of the embedding (`range`). Its width follows
/// the liked tracks' own spread there (gamma = `sharpness` / their total variance), so a narrow taste gets a narrow
/// kernel. Smoother than the mean cosine to the k nearest tracks, and as good as a one-class SVM here without a solver.
public struct LikedDensityScore: Sendable {
    public let liked: [[Float]]
    public let gamma: Double
    /// The values of an embedding this density looks at.
    public let range: Range<Int>
    /// Kernel width relative to the liked tracks' spread: chosen on development splits of the genres collection
    /// (every style, never the reported splits) among 0.5-8.
    public static let sharpness = 4.0

    /// A density over `liked` with the kernel width of another set (`TasteDensity`'s disliked tracks use the liked ones').
    public init(liked: [[Float]], gamma: Double, range: Range<Int>? = nil) {
        self.liked = liked
        self.gamma = gamma
        self.range = range ?? 0..<(liked.first?.count ?? 0)
    }

    public init(liked: [[Float]], range: Range<Int>? = nil) {
        let range = range ?? 0..<(liked.first?.count ?? 0)
        var variance = 0.0
        if liked.count > 1 {
            for d in range {
                let mean = liked.reduce(0.0) { $0 + Double($1[d]) } / Double(liked.count)
                variance += liked.reduce(0.0) { $0 + (Double($1[d]) - mean) * (Double($1[d]) - mean) } / Double(liked.count)
            }
        }
        self.init(liked: liked, gamma: Self.sharpness / max(variance, 1e-6), range: range)
    }

    /// The score of `embedding`; `excluding` leaves one liked track out (a liked track scored against the others).
    public func score(_ embedding: [Float], excluding: Int? = nil) -> Double {
        let exponents = liked.indices.filter { $0 != excluding }.map { j in
            -gamma * range.reduce(0.0) { sum, d in
                let difference = Double(liked[j][d] - embedding[d])
                return sum + difference * difference
            }
        }
        guard let top = exponents.max() else { return 0 }
        return top + log(exponents.reduce(0.0) { $0 + exp($1 - top) } / Double(exponents.count))
    }

    /// Every liked track scored against the others: how new liked music would score.
    public func leaveOneOutScores() -> [Double] {
        liked.indices.map { score(liked[$0], excluding: $0) }
    }
}

/// A taste as densities: how densely liked tracks surround a track, less half the log density of music in general
/// there, less a penalty where known dislikes are dense.
///
/// Music in general is the descriptor space's reference library (`DescriptorSpace.background`): a track that sits
/// where most music sits resembles the liked tracks no more than it resembles everything, so what counts is how much
/// denser the liked tracks are around it than music at large (as a universal background model does in speaker
/// verification). Only half that log density is taken off: the reference library may hold music like the taste.
/// The dislike penalty is softplus(log p_disliked(x) - r), r being the liked tracks' median leave-one-out log
/// density: near zero wherever dislikes are sparser than liked tracks typically are, and growing with the log density
/// where they are denser. (The plain log ratio log p_liked - log p_disliked would also reward every track merely for
/// lying farther from the dislikes than from the likes, far from both.)
///
/// An embedding of several blocks (`DescriptorSpace.densityBlocks`: the descriptor's and the patch code's) has a
/// density per block, each with the liked tracks' kernel width in that block; a log density is then the weighted sum
/// of the blocks' (a product of densities).
public struct TasteDensity: Sendable {
    /// One block's densities.
    public struct Block: Sendable {
        public let weight: Double
        public let liked: LikedDensityScore
        /// nil: no known dislikes.
        public let disliked: LikedDensityScore?
        /// nil: no reference library in the space.
        public let background: LikedDensityScore?
    }

    public let blocks: [Block]
    public let likedEmbeddings: [[Float]]
    public let dislikedEmbeddings: [[Float]]
    /// The liked tracks' median leave-one-out log density.
    public let typicalLikedDensity: Double
    /// How much of the background's log density is taken off: chosen among 0-1 on development splits of the genres
    /// collection (every style, never the reported splits); 0.5 and 0.75 were equal there, the smaller one is kept.
    public static let backgroundWeight = 0.5

    /// Densities over `liked` (and `disliked`, `background`) embeddings; nil `blocks`: the whole embedding is one block.
    public init(liked: [[Float]], disliked: [[Float]], background: [[Float]] = [], blocks: [DensityBlock]? = nil) {
        let blocks = blocks ?? [DensityBlock(range: 0..<(liked.first?.count ?? 0), weight: 1)]
        let densities = blocks.map { block in
            let likedDensity = LikedDensityScore(liked: liked, range: block.range)
            return Block(weight: block.weight, liked: likedDensity,
                         disliked: disliked.isEmpty ? nil : LikedDensityScore(liked: disliked, gamma: likedDensity.gamma, range: block.range),
                         background: background.isEmpty ? nil : LikedDensityScore(liked: background, gamma: likedDensity.gamma, range: block.range))
        }
        self.blocks = densities
        likedEmbeddings = liked
        dislikedEmbeddings = disliked
        let own = liked.indices.map { i in densities.reduce(0.0) { $0 + $1.weight * $1.liked.score(liked[i], excluding: i) } }.sorted()
        typicalLikedDensity = own.isEmpty ? 0 : own[own.count / 2]
    }

    /// The score of `embedding`; `excludingLiked` leaves one liked track out.
    public func score(_ embedding: [Float], excludingLiked: Int? = nil) -> Double {
        scoreWithoutDislikes(embedding, excludingLiked: excludingLiked) - dislikePenalty(embedding)
    }

    /// The score as if there were no known dislikes.
    public func scoreWithoutDislikes(_ embedding: [Float], excludingLiked: Int? = nil) -> Double {
        blocks.reduce(0.0) { sum, block in
            sum + block.weight * (block.liked.score(embedding, excluding: excludingLiked)
                                  - Self.backgroundWeight * (block.background?.score(embedding) ?? 0))
        }
    }

    /// softplus(log p_disliked - typical liked log density); 0 without dislikes.
    public func dislikePenalty(_ embedding: [Float]) -> Double {
        guard !dislikedEmbeddings.isEmpty else { return 0 }
        let z = blocks.reduce(0.0) { $0 + $1.weight * ($1.disliked?.score(embedding) ?? 0) } - typicalLikedDensity
        return max(z, 0) + log1p(exp(-abs(z)))
    }

    /// Every liked track scored against the other liked tracks (and every dislike): what new liked music scores.
    public func leaveOneOutScores() -> [Double] {
        likedEmbeddings.indices.map { score(likedEmbeddings[$0], excludingLiked: $0) }
    }
}

/// The descriptor side of a taste: the liked (and disliked) tracks' embeddings, and how the liked ones score.
public struct DescriptorTaste: Sendable {
    public let extractor: DescriptorExtractor
    public let space: DescriptorSpace
    public let density: TasteDensity
    /// The liked tracks' embeddings (for "because you liked …").
    public var likedEmbeddings: [[Float]] { density.likedEmbeddings }
    /// The known dislikes' embeddings.
    public var dislikedEmbeddings: [[Float]] { density.dislikedEmbeddings }
    /// Every liked track scored against the others (leave-one-out): what new liked music scores.
    public let calibrationScores: [Double]

    /// Describes `liked` and `disliked` and fits the densities on them.
    public init(config: RunConfig, liked: [PCMTrack], disliked: [PCMTrack] = [], space: DescriptorSpace = .builtIn, threads: Int) {
        let extractor = DescriptorExtractor(config: config, codebook: space.patchCode?.codebook)
        self.extractor = extractor
        self.space = space
        let embed = { (tracks: [PCMTrack]) in extractor.descriptors(of: tracks, threads: threads).map(space.embed) }
        density = TasteDensity(liked: embed(liked), disliked: embed(disliked), background: space.background, blocks: space.densityBlocks)
        calibrationScores = density.leaveOneOutScores()
    }

    /// Embeddings of `tracks` in the descriptor space.
    public func embeddings(of tracks: [PCMTrack], threads: Int) -> [[Float]] {
        extractor.descriptors(of: tracks, threads: threads).map(space.embed)
    }

    /// The density score of each of `tracks`.
    public func scores(of tracks: [PCMTrack], threads: Int) -> [Double] {
        embeddings(of: tracks, threads: threads).map { density.score($0) }
    }
}

/// Turns a track's component scores into the one score a taste ranks by (`taste_score`). Blended components are
/// standardised by the liked tracks' own scores (mean and spread of their calibration scores), so that neither
/// counts for more because of its scale; nothing about other music enters.
public struct TasteRanking: Codable, Sendable {
    public var kind: RunConfig.TasteScore
    public var descriptorMean: Double, descriptorSpread: Double
    public var csiMean: Double, csiSpread: Double

    public init(kind: RunConfig.TasteScore, descriptorCalibration: [Double], csiCalibration: [Double]) {
        self.kind = kind
        (descriptorMean, descriptorSpread) = Self.moments(descriptorCalibration)
        (csiMean, csiSpread) = Self.moments(csiCalibration)
    }

    /// The ranked score; `csi` is nil when no network was trained.
    public func score(descriptor: Double, csi: Double?) -> Double {
        switch kind {
        case .descriptor: return descriptor
        case .csi: return csi ?? .nan
        case .blend:
            let d = (descriptor - descriptorMean) / descriptorSpread
            guard let csi else { return d }
            return (d + (csi - csiMean) / csiSpread) / 2
        }
    }

    static func moments(_ values: [Double]) -> (mean: Double, spread: Double) {
        guard !values.isEmpty else { return (0, 1) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, max(variance.squareRoot(), 1e-9))
    }
}


extension DescriptorSpace {
    /// Reads a space written by `tunescore pretrain` (`save(to:)`).
    public static func load(from path: String) throws -> DescriptorSpace {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DescriptorSpaceError(message: "cannot read the descriptor space \(path)")
        }
        do {
            let space = try JSONDecoder().decode(DescriptorSpace.self, from: data)
            guard space.mean.count == TrackDescriptor.dimension, space.projection.count == TrackDescriptor.dimension * space.outputDimension,
                  space.patchCode.map({ $0.codebook.count == $0.mean.count && $0.projection.count == $0.mean.count * $0.outputDimension }) ?? true else {
                throw DescriptorSpaceError(message: "\(path) was written for descriptors of \(space.mean.count) values; this tunescore computes \(TrackDescriptor.dimension): run `tunescore pretrain` again")
            }
            return space
        } catch let error as DescriptorSpaceError {
            throw error
        } catch {
            throw DescriptorSpaceError(message: "\(path) is not a descriptor space: \(error)")
        }
    }

    /// Writes the space as JSON, atomically.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The space a config asks for: its `descriptor_space` file, or the built-in one.
    public static func forConfig(_ config: RunConfig) throws -> DescriptorSpace {
        guard let path = config.descriptorSpacePath else { return .builtIn }
        do { return try load(from: path) } catch let error as DescriptorSpaceError {
            throw ConfigError(.unreadable, key: "descriptor_space", source: "config", message: error.message)
        }
    }
}

extension DescriptorSpace {
    /// Learns a patch codebook from decoded reference tracks and fits a space on their descriptors and codes
    /// (`sources[i]` names where track i comes from: its folder).
    /// - Throws: `DescriptorSpaceError` when there are too few patches or sources.
    public static func learn(from pcm: [PCMTrack], sources: [String], config: RunConfig, threads: Int,
                             codebookSettings: PatchCodebook.LearnSettings = .init(), say: (String) -> Void) throws -> DescriptorSpace {
        let extractor = DescriptorExtractor(config: config)
        let mel = extractor.mel
        let patchesPerTrack = codebookSettings.samplePatches / max(pcm.count, 1) + 1
        let patchLength = (mel.bandCount / codebookSettings.bandsPerGroup) * codebookSettings.patchFrames
        let described = parallelMap(pcm.count, threads: threads) { i -> (descriptor: [Float], patches: [Float]) in
            let mels = extractor.decibelMels(of: pcm[i])
            let patches = PatchCodebook.patches(decibelMels: mels.values, excerpts: mels.excerpts, bands: mel.bandCount, frames: mel.frameCount,
                                                bandsPerGroup: codebookSettings.bandsPerGroup, patchFrames: codebookSettings.patchFrames,
                                                patchHop: codebookSettings.patchHop)
            return (TrackDescriptor.compute(decibelMels: mels.values, excerpts: mels.excerpts, bands: mel.bandCount, frames: mel.frameCount),
                    samplePatches(patches, count: patchesPerTrack, length: patchLength, seed: codebookSettings.seed &+ UInt64(i)))
        }
        say("learning a codebook of \(codebookSettings.count) patches")
        let codebook = try PatchCodebook.learn(patches: described.flatMap(\.patches), settings: codebookSettings, patchLength: patchLength)
        say("coding \(pcm.count) tracks")
        return try DescriptorSpace(fitting: described.map(\.descriptor), codes: extractor.codes(of: pcm, codebook: codebook, threads: threads),
                                   codebook: codebook, sources: sources)
    }

    /// `count` of the patches (rows of `length`), chosen by `seed`, in their order.
    static func samplePatches(_ patches: [Float], count: Int, length: Int, seed: UInt64) -> [Float] {
        let n = patches.count / length
        guard n > count else { return patches }
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<n)
        for i in 0..<count { order.swapAt(i, i + Int(generator.next() % UInt64(n - i))) }
        return order.prefix(count).sorted().flatMap { patches[($0 * length)..<(($0 + 1) * length)] }
    }
}

extension DescriptorExtractor {
    /// The patch codes of `pcm` under `codebook`.
    public func codes(of pcm: [PCMTrack], codebook: PatchCodebook, threads: Int) -> [[Float]] {
        parallelMap(pcm.count, threads: threads) { i in
            let mels = decibelMels(of: pcm[i])
            return codebook.code(decibelMels: mels.values, excerpts: mels.excerpts, bands: mel.bandCount, frames: mel.frameCount)
        }
    }
}
