import Foundation
import LibraryScanner

/// A trained taste model, ready to score: the network its profile was built with, its CSI calibration, the liked tracks and the
/// config it was trained with (read back from the checkpoint, so scoring cuts excerpts exactly as training did).
public struct TasteModel: Sendable {
    public let folder: URL
    public let config: RunConfig
    public let profile: TasteProfile
    public let scorer: CSIScorer
    public let views: AudioViewMaker

    /// Loads `profile.json` and the checkpoint it was built with (`best.pt` unless `score_checkpoint` said
    /// `last`) from a model folder; a missing, truncated or mismatched file is an error that names it.
    public static func load(from folder: URL) throws -> TasteModel {
        // Every training run writes best.pt after its first epoch, so without it there is no model here at all.
        let best = folder.appendingPathComponent("best.pt")
        guard FileManager.default.fileExists(atPath: best.path) else {
            throw TorchError(code: .io, message: "no trained model at \(best.path): train one with `tunescore train --liked FOLDER`")
        }
        let profile = try TasteProfile.load(from: folder)
        let weights = folder.appendingPathComponent(profile.effectiveWeightsFile)
        let (network, metadata) = try Checkpoint.load(from: weights)
        guard metadata.modelID == profile.modelID else {
            throw TorchError(code: .mismatch, message: "\(weights.path) (model \(metadata.modelID)) and its profile.json (model \(profile.modelID)) come from different training runs: train again")
        }
        let config: RunConfig
        do {
            config = try RunConfig.parse(Data(metadata.config.utf8), sourceName: "the config stored in \(weights.path)",
                                         baseDirectory: folder, purpose: .inspection)
        } catch {
            throw TorchError(code: .mismatch, message: "\(error)")
        }
        guard config.networkSpec(channels: 1) == metadata.spec else {
            throw TorchError(code: .mismatch, message: "\(weights.path) holds a \(metadata.spec.architecture) network its stored config does not describe: train again")
        }
        let scorer = try CSIScorer(network: network, reference: profile.reference, settings: config.scoringSettings)
        return TasteModel(folder: folder, config: config, profile: profile, scorer: scorer, views: try AudioViewMaker(config: config))
    }

    /// Scores decoded tracks (up to `max_excerpts_per_track` excerpts each).
    public func score(_ tracks: [AudioTrack], pcm: [PCMTrack]) throws -> TrackScores {
        try scorer.scoreTracks(tracks, pcm: pcm, views: views, maxExcerpts: config.maxExcerptsPerTrack)
    }
}
