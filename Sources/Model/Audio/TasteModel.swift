import Features
import Foundation
import LibraryScanner

/// A trained taste model, ready to score: its profile, the descriptor side (space, liked tracks, density), and, when a
/// network was trained, that network with its CSI calibration. The config is the one it was trained with (read back
/// from the checkpoint or the profile), so scoring cuts excerpts exactly as training did.
public struct TasteModel: Sendable {
    public let folder: URL
    public let config: RunConfig
    public let profile: TasteProfile
    /// nil when no network was trained (`taste_score: descriptor`).
    public let scorer: CSIScorer?
    public let views: AudioViewMaker?
    /// nil for models trained before descriptors existed.
    public let descriptors: DescriptorScoring?

    /// Loads `profile.json` and, when the model has a network, the checkpoint it was built with (`best.pt` unless
    /// `score_checkpoint` said `last`) from a model folder; a missing, truncated or mismatched file is an error that
    /// names it.
    public static func load(from folder: URL) throws -> TasteModel {
        let profileFile = folder.appendingPathComponent(TasteProfile.fileName)
        guard FileManager.default.fileExists(atPath: profileFile.path) else {
            throw TorchError(code: .io, message: "no trained model at \(folder.path): train one with `tunescore train --liked FOLDER`")
        }
        let profile = try TasteProfile.load(from: folder)
        let descriptors = try DescriptorScoring(profile: profile)
        guard let reference = profile.reference else {
            guard let configJSON = profile.configJSON, let descriptors else {
                throw TorchError(code: .mismatch, message: "\(profileFile.path) has neither a network nor descriptors: train again")
            }
            let config = try storedConfig(Data(configJSON.utf8), source: "the config stored in \(profileFile.path)", folder: folder)
            return TasteModel(folder: folder, config: config, profile: profile, scorer: nil, views: nil, descriptors: descriptors)
        }
        let weights = folder.appendingPathComponent(profile.effectiveWeightsFile)
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw TorchError(code: .io, message: "no trained model at \(weights.path): train one with `tunescore train --liked FOLDER`")
        }
        let (network, metadata) = try Checkpoint.load(from: weights)
        guard metadata.modelID == profile.modelID else {
            throw TorchError(code: .mismatch, message: "\(weights.path) (model \(metadata.modelID)) and its profile.json (model \(profile.modelID)) come from different training runs: train again")
        }
        let config = try storedConfig(Data(metadata.config.utf8), source: "the config stored in \(weights.path)", folder: folder)
        guard config.networkSpec(channels: 1) == metadata.spec else {
            throw TorchError(code: .mismatch, message: "\(weights.path) holds a \(metadata.spec.architecture) network its stored config does not describe: train again")
        }
        let scorer = try CSIScorer(network: network, reference: reference, settings: config.scoringSettings)
        return TasteModel(folder: folder, config: config, profile: profile, scorer: scorer, views: try AudioViewMaker(config: config),
                          descriptors: descriptors)
    }

    private static func storedConfig(_ data: Data, source: String, folder: URL) throws -> RunConfig {
        do {
            return try RunConfig.parse(data, sourceName: source, baseDirectory: folder, purpose: .inspection)
        } catch {
            throw TorchError(code: .mismatch, message: "\(error)")
        }
    }

    /// Where scoring cuts a track of `sampleCount` samples (at `config.sampleRate`): the only audio it needs decoded.
    public func excerptStarts(sampleCount: Int) -> [Int] {
        AudioExcerpts.fixedStarts(sampleCount: sampleCount, excerptLength: config.sampleLength, limit: config.maxExcerptsPerTrack)
    }

    /// Decodes the excerpts scoring reads of `tracks` (in memory, nothing else of each file); undecodable ones are skipped.
    public func decodeForScoring(_ tracks: [AudioTrack], threads: Int) -> (tracks: [AudioTrack], pcm: [PCMTrack], skipped: [SkippedFile]) {
        MusicCollection.decodeExcerpts(tracks, decoder: scoringDecoder, excerptLength: config.sampleLength,
                                       threads: threads) { excerptStarts(sampleCount: $0) }
    }

    /// Decodes the excerpts scoring reads of one file already open, without opening it again (`tunescore evaluate`).
    /// - Throws: `AudioFileError` when it cannot be decoded.
    public func decodeForScoring(_ audio: AudioFile) throws(AudioFileError) -> DecodedExcerpts {
        try scoringDecoder.decodeExcerpts(audio, length: config.sampleLength) { excerptStarts(sampleCount: $0) }
    }

    /// The decoder scoring reads tracks with: to the model's sample rate.
    private var scoringDecoder: AudioDecoder { AudioDecoder(targetSampleRate: config.sampleRate) }

    /// Scores decoded tracks (up to `max_excerpts_per_track` excerpts each).
    public func score(_ tracks: [AudioTrack], pcm: [PCMTrack], threads: Int = 1) throws -> TasteScores {
        let network = try scorer.map { scorer in
            try views.map { try scorer.scoreTracks(tracks, pcm: pcm, views: $0, maxExcerpts: config.maxExcerptsPerTrack) }
        } ?? nil
        let embeddings = descriptors?.embeddings(of: pcm, threads: threads)
        let ranking = profile.effectiveRanking
        let density = embeddings.map { $0.map { descriptors!.density.score($0) } }
        let ranked = tracks.indices.map { t in
            ranking.score(descriptor: density?[t] ?? .nan, csi: network?.csi[t])
        }
        let excerptCounts = network?.excerptCounts ?? pcm.map { excerptStarts(sampleCount: $0.count).count }
        return TasteScores(ranked: ranked, csi: network?.csi ?? tracks.map { _ in .nan }, norm: network?.norm ?? tracks.map { _ in .nan },
                           reasonEmbeddings: embeddings ?? network?.embeddings ?? tracks.map { _ in [] }, excerptCounts: excerptCounts)
    }
}

/// What a taste model says of each scored track.
public struct TasteScores: Sendable {
    /// The score the model ranks by (`TasteRanking`); its percentile among the liked tracks' is the fit.
    public var ranked: [Double]
    /// The network's mean CSI and norm scores (NaN when the model has no network).
    public var csi: [Double]
    public var norm: [Double]
    /// What "because you liked …" compares with the liked tracks' `reasonEmbedding`.
    public var reasonEmbeddings: [[Float]]
    public var excerptCounts: [Int]
}

/// The descriptor side of a trained taste: the space, the extractor, and the density over the liked tracks.
public struct DescriptorScoring: Sendable {
    public let extractor: DescriptorExtractor
    public let space: DescriptorSpace
    public let density: TasteDensity

    /// nil for a profile without descriptors.
    init?(profile: TasteProfile) throws {
        guard let space = profile.descriptorSpace else { return nil }
        let liked = profile.liked.compactMap(\.descriptorEmbedding)
        guard liked.count == profile.liked.count, !liked.isEmpty, liked.allSatisfy({ $0.count == space.embeddingDimension }) else {
            throw TorchError(code: .mismatch, message: "the taste profile's liked tracks do not fit its descriptor space: train again")
        }
        let config = try profile.configJSON.map {
            try RunConfig.parse(Data($0.utf8), sourceName: "the config in the taste profile", baseDirectory: URL(fileURLWithPath: "/"),
                                purpose: .inspection)
        } ?? RunConfig.musicPreset()
        extractor = DescriptorExtractor(config: config, codebook: space.patchCode?.codebook)
        self.space = space
        density = TasteDensity(liked: liked, disliked: profile.dislikedEmbeddings ?? [], background: space.background,
                               blocks: space.densityBlocks)
    }

    /// Embeddings of decoded tracks in the space.
    public func embeddings(of pcm: [PCMTrack], threads: Int) -> [[Float]] {
        extractor.descriptors(of: pcm, threads: threads).map(space.embed)
    }
}
