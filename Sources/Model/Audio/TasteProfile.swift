import Features
import Foundation
import LibraryScanner

/// One liked track as a trained model remembers it: for "because you liked …".
public struct LikedTrack: Codable, Sendable {
    /// The file's path bytes.
    public var path: Data
    public var displayName: String
    /// Mean unit-length projection of the track's clean excerpts (empty when no network was trained).
    public var embedding: [Float]
    /// True when the track was held out for validation (its score calibrates the fit).
    public var isHeldOut: Bool
    /// The track in the descriptor space (nil in profiles written before descriptors existed).
    public var descriptorEmbedding: [Float]?

    public init(path: Data, displayName: String, embedding: [Float], isHeldOut: Bool, descriptorEmbedding: [Float]? = nil) {
        self.path = path
        self.displayName = displayName
        self.embedding = embedding
        self.isHeldOut = isHeldOut
        self.descriptorEmbedding = descriptorEmbedding
    }

    /// What "because you liked …" compares: the descriptor embedding where there is one (it says how the tracks
    /// sound alike), else the network's.
    public var reasonEmbedding: [Float] { descriptorEmbedding ?? embedding }
}

/// Everything scoring needs besides the network weights: the descriptor space and the liked tracks in it, CSI's
/// calibration when a network was trained, how the two make the ranked score, and the liked tracks' own ranked scores
/// that turn a new track's score into a fit (0-100).
public struct TasteProfile: Codable, Sendable {
    public static let fileName = "profile.json"

    public var modelID: String
    public var createdAt: Date
    /// CSI's calibration; nil when no network was trained (`taste_score: descriptor`).
    public var reference: CSIReference?
    public var liked: [LikedTrack]
    /// Ranked scores of liked tracks: the held-out ones, or all when too few were held out (with descriptors alone:
    /// every liked track scored against the others).
    public var calibrationScores: [Double]
    /// "held-out" (at least 20 held-out tracks) or "all liked" (training tracks score a little higher than new
    /// liked music would, so fits come out conservative).
    public var calibrationSource: String
    /// The checkpoint file in the model folder whose network made these embeddings and scores (`score_checkpoint`);
    /// nil in profiles written before the key existed, which were all made with `best.pt`.
    public var weightsFile: String?
    /// The descriptor space the liked tracks' descriptor embeddings live in (nil in profiles written before it existed).
    public var descriptorSpace: DescriptorSpace?
    /// Known dislikes in the descriptor space (`train --disliked`); nil or empty: none.
    public var dislikedEmbeddings: [[Float]]?
    /// How the ranked score is made; nil in older profiles, which ranked by CSI alone.
    public var ranking: TasteRanking?
    /// The effective config of the training run (as JSON): how scoring must cut excerpts when there is no checkpoint
    /// to read it from.
    public var configJSON: String?

    public init(modelID: String, createdAt: Date, reference: CSIReference?, liked: [LikedTrack], calibrationScores: [Double],
                calibrationSource: String, weightsFile: String?, descriptorSpace: DescriptorSpace?, ranking: TasteRanking?,
                configJSON: String?, dislikedEmbeddings: [[Float]]? = nil) {
        self.dislikedEmbeddings = dislikedEmbeddings
        self.modelID = modelID
        self.createdAt = createdAt
        self.reference = reference
        self.liked = liked
        self.calibrationScores = calibrationScores
        self.calibrationSource = calibrationSource
        self.weightsFile = weightsFile
        self.descriptorSpace = descriptorSpace
        self.ranking = ranking
        self.configJSON = configJSON
    }

    /// How this profile's ranked score is made (older profiles: CSI alone).
    public var effectiveRanking: TasteRanking {
        ranking ?? TasteRanking(kind: .csi, descriptorCalibration: [], csiCalibration: [])
    }

    /// The weights file scoring must load with this profile.
    public var effectiveWeightsFile: String { weightsFile ?? "best.pt" }

    /// Reads `profile.json` from a model folder.
    public static func load(from folder: URL) throws -> TasteProfile {
        let url = folder.appendingPathComponent(fileName)
        guard let data = try? Data(contentsOf: url) else {
            throw TorchError(code: .io, message: "no taste profile at \(url.path): train the model with `tunescore train --liked …` first")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(TasteProfile.self, from: data)
        } catch {
            throw TorchError(code: .mismatch, message: "taste profile \(url.path) is damaged: \(error)")
        }
    }

    /// Writes `profile.json` into a model folder atomically.
    public func save(to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(self).write(to: folder.appendingPathComponent(TasteProfile.fileName), options: .atomic)
    }
}

/// Per-track results of scoring a set of tracks with a trained model.
public struct TrackScores: Sendable {
    /// Mean over each track's excerpts.
    public var norm: [Double]
    public var csi: [Double]
    /// Per track: mean unit-length projection, normalised again (trackCount x width).
    public var embeddings: [[Float]]
    public var excerptCounts: [Int]
    /// The per-excerpt scores and which track each excerpt belongs to.
    public var excerptScores: ItemScores
    public var trackOfExcerpt: [Int]
}

extension CSIScorer {
    /// Scores whole tracks: up to `maxExcerpts` non-overlapping excerpts each (0 = all), averaged.
    public func scoreTracks(_ tracks: [AudioTrack], pcm: [PCMTrack], views: AudioViewMaker, maxExcerpts: Int) throws -> TrackScores {
        let items = AudioExcerpts.fixedItems(pcm: pcm, excerptLength: views.excerptLength, limit: maxExcerpts)
        let source = AudioExcerpts(tracks: tracks, pcm: pcm, items: items, views: views, usesTwoCrops: false)
        let scores = try self.scores(source)
        let dim = reference.projectionDim
        var result = TrackScores(norm: Array(repeating: 0, count: tracks.count), csi: Array(repeating: 0, count: tracks.count),
                                 embeddings: Array(repeating: Array(repeating: 0, count: dim), count: tracks.count),
                                 excerptCounts: Array(repeating: 0, count: tracks.count), excerptScores: scores,
                                 trackOfExcerpt: items.map(\.track))
        for (i, item) in items.enumerated() {
            result.norm[item.track] += scores.norm[i]
            result.csi[item.track] += scores.csi[i]
            result.excerptCounts[item.track] += 1
            for d in 0..<dim { result.embeddings[item.track][d] += scores.embeddings[i * dim + d] }
        }
        for t in tracks.indices {
            let n = Double(max(1, result.excerptCounts[t]))
            result.norm[t] /= n
            result.csi[t] /= n
            var slice = result.embeddings[t][...]
            normalize(&slice)
            result.embeddings[t] = Array(slice)
        }
        return result
    }
}
