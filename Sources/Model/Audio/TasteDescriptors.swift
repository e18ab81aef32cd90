import Features
import Foundation
import LibraryScanner

/// Computes `TrackDescriptor`s of decoded tracks from the same evenly spread excerpts that scoring uses.
public struct DescriptorExtractor: Sendable {
    public let mel: MelSpectrogram
    /// At most this many excerpts per track (0 = all).
    public let maxExcerpts: Int

    public init(sampleRate: Int, excerptLength: Int, maxExcerpts: Int) {
        mel = MelSpectrogram(sampleRate: sampleRate, excerptLength: excerptLength)
        self.maxExcerpts = maxExcerpts
    }

    public init(config: RunConfig) {
        self.init(sampleRate: config.sampleRate, excerptLength: config.sampleLength, maxExcerpts: config.maxExcerptsPerTrack)
    }

    /// The raw descriptor of one track.
    public func descriptor(of track: PCMTrack) -> [Float] {
        let items = AudioExcerpts.fixedItems(pcm: [track], excerptLength: mel.excerptLength, limit: maxExcerpts)
        let excerpts = items.map { track.excerpt(from: $0.start ?? 0, length: mel.excerptLength) }
        return TrackDescriptor.compute(decibelMels: mel.decibelMelBatch(excerpts, workers: 1), excerpts: excerpts.count,
                                       bands: mel.bandCount, frames: mel.frameCount)
    }

    /// Raw descriptors of `tracks`, one track per thread at a time.
    public func descriptors(of tracks: [PCMTrack], threads: Int) -> [[Float]] {
        let results = LockedArray<[Float]>(repeating: [], count: tracks.count)
        parallelFor(tracks.count, threads: threads) { i in results[i] = descriptor(of: tracks[i]) }
        return results.elements
    }
}

/// A track's taste score from the liked tracks around it: the log of a Gaussian kernel density over the liked
/// tracks' embeddings, log mean exp(-gamma |x - liked_i|^2). Its width follows the liked tracks' own spread
/// (gamma = `sharpness` / their total variance), so a narrow taste gets a narrow kernel. Smoother than the mean cosine to
/// the k nearest tracks, and as good as a one-class SVM here without a solver.
public struct LikedDensityScore: Sendable {
    public let liked: [[Float]]
    public let gamma: Double
    /// Kernel width relative to the liked tracks' spread: chosen on development splits of the genres collection
    /// (every style, never the reported splits) among 0.5-8.
    public static let sharpness = 4.0

    /// A density over `liked` with the kernel width of another set (`TasteDensity`'s disliked tracks use the liked ones').
    public init(liked: [[Float]], gamma: Double) {
        self.liked = liked
        self.gamma = gamma
    }

    public init(liked: [[Float]]) {
        self.liked = liked
        let dimension = liked.first?.count ?? 0
        var variance = 0.0
        if liked.count > 1 {
            for d in 0..<dimension {
                let mean = liked.reduce(0.0) { $0 + Double($1[d]) } / Double(liked.count)
                variance += liked.reduce(0.0) { $0 + (Double($1[d]) - mean) * (Double($1[d]) - mean) } / Double(liked.count)
            }
        }
        gamma = Self.sharpness / max(variance, 1e-6)
    }

    /// The score of `embedding`; `excluding` leaves one liked track out (a liked track scored against the others).
    public func score(_ embedding: [Float], excluding: Int? = nil) -> Double {
        let exponents = liked.indices.filter { $0 != excluding }.map { j in
            -gamma * zip(liked[j], embedding).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
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
/// lying farther from the dislikes than from the likes, far from both.) Every density uses the liked tracks' kernel
/// width.
public struct TasteDensity: Sendable {
    public let liked: LikedDensityScore
    /// nil: no known dislikes.
    public let disliked: LikedDensityScore?
    /// nil: no reference library in the space.
    public let background: LikedDensityScore?
    /// The liked tracks' median leave-one-out log density.
    public let typicalLikedDensity: Double
    /// How much of the background's log density is taken off: chosen among 0-1 on development splits of the genres
    /// collection (every style, never the reported splits); 0.5 and 0.75 were equal there, the smaller one is kept.
    public static let backgroundWeight = 0.5

    public init(liked: [[Float]], disliked: [[Float]], background: [[Float]] = []) {
        let likedDensity = LikedDensityScore(liked: liked)
        self.liked = likedDensity
        self.disliked = disliked.isEmpty ? nil : LikedDensityScore(liked: disliked, gamma: likedDensity.gamma)
        self.background = background.isEmpty ? nil : LikedDensityScore(liked: background, gamma: likedDensity.gamma)
        let own = likedDensity.leaveOneOutScores().sorted()
        typicalLikedDensity = own.isEmpty ? 0 : own[own.count / 2]
    }

    /// The score of `embedding`; `excludingLiked` leaves one liked track out.
    public func score(_ embedding: [Float], excludingLiked: Int? = nil) -> Double {
        liked.score(embedding, excluding: excludingLiked) - Self.backgroundWeight * (background?.score(embedding) ?? 0)
            - dislikePenalty(embedding)
    }

    /// softplus(log p_disliked - typical liked log density); 0 without dislikes.
    public func dislikePenalty(_ embedding: [Float]) -> Double {
        guard let disliked else { return 0 }
        let z = disliked.score(embedding) - typicalLikedDensity
        return max(z, 0) + log1p(exp(-abs(z)))
    }

    /// Every liked track scored against the other liked tracks (and every dislike): what new liked music scores.
    public func leaveOneOutScores() -> [Double] {
        liked.liked.indices.map { score(liked.liked[$0], excludingLiked: $0) }
    }
}

/// The descriptor side of a taste: the liked (and disliked) tracks' embeddings, and how the liked ones score.
public struct DescriptorTaste: Sendable {
    public let extractor: DescriptorExtractor
    public let space: DescriptorSpace
    public let density: TasteDensity
    /// The liked tracks' embeddings (for "because you liked …").
    public var likedEmbeddings: [[Float]] { density.liked.liked }
    /// The known dislikes' embeddings.
    public var dislikedEmbeddings: [[Float]] { density.disliked?.liked ?? [] }
    /// Every liked track scored against the others (leave-one-out): what new liked music scores.
    public let calibrationScores: [Double]

    /// Describes `liked` and `disliked` and fits the densities on them.
    public init(config: RunConfig, liked: [PCMTrack], disliked: [PCMTrack] = [], space: DescriptorSpace = .builtIn, threads: Int) {
        let extractor = DescriptorExtractor(config: config)
        self.extractor = extractor
        self.space = space
        let embed = { (tracks: [PCMTrack]) in extractor.descriptors(of: tracks, threads: threads).map(space.embed) }
        density = TasteDensity(liked: embed(liked), disliked: embed(disliked), background: space.background)
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
            guard space.mean.count == TrackDescriptor.dimension, space.projection.count == TrackDescriptor.dimension * space.outputDimension else {
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
