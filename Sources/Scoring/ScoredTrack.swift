import Foundation
import LibraryScanner

/// One new track as a taste model judged it: which file (and which version of it), what it is, and how well
/// it fits.
public struct ScoredTrack: Sendable, Equatable, Codable {
    /// A liked track that sounds close to this one: the "because you liked …" of a ranking.
    public struct Reason: Sendable, Equatable, Codable {
        /// The liked track's display name.
        public var likedTrack: String
        /// Cosine similarity of the two tracks' embeddings (-1...1).
        public var similarity: Double

        /// A reason with the given values.
        public init(likedTrack: String, similarity: Double) {
            self.likedTrack = likedTrack
            self.similarity = similarity
        }
    }

    /// The file's exact path bytes.
    public var path: RawPath
    /// Bytes, when scored: with `modificationTimeNs`, what tells a cached score is still valid.
    public var size: Int64
    /// Modification time when scored, nanoseconds since 1970.
    public var modificationTimeNs: Int64
    /// The taste model that gave the scores.
    public var modelID: String
    /// Tags, when the file has them.
    public var title: String?
    /// Tags, when the file has them.
    public var artist: String?
    /// Tags, when the file has them.
    public var album: String?
    /// Seconds, when known.
    public var duration: Double?
    /// Mean feature-norm score over the excerpts (NaN when the model has no network).
    public var norm: Double
    /// Mean CSI score over the excerpts (higher = more typical of the liked music; NaN when the model has no network).
    public var csi: Double
    /// The score the model ranks by (its `taste_score`; higher = more like the liked music).
    public var score: Double
    /// Percentile of `score` among the liked tracks' scores (0...100), see `FitCalibration`.
    public var fit: Double
    /// How many excerpts the scores average.
    public var excerptCount: Int
    /// Up to three closest liked tracks, closest first.
    public var reasons: [Reason]
    /// When the track was scored.
    public var scoredAt: Date

    /// A track with the given values.
    public init(path: RawPath, size: Int64, modificationTimeNs: Int64, modelID: String, title: String? = nil,
                artist: String? = nil, album: String? = nil, duration: Double? = nil, norm: Double, csi: Double,
                score: Double? = nil, fit: Double, excerptCount: Int, reasons: [Reason] = [], scoredAt: Date) {
        self.path = path
        self.size = size
        self.modificationTimeNs = modificationTimeNs
        self.modelID = modelID
        self.title = title
        self.artist = artist
        self.album = album
        self.duration = duration
        self.norm = norm
        self.csi = csi
        self.score = score ?? csi
        self.fit = fit
        self.excerptCount = excerptCount
        self.reasons = reasons
        self.scoredAt = scoredAt
    }

    /// The track's name for people (`TrackName.display`).
    public var displayName: String { TrackName.display(artist: artist, title: title, path: path) }

    /// The file name without its extension, for people (invalid UTF-8 shown as U+FFFD).
    public var fileStem: String { path.fileStem }

    // `path` is written as readable text, and its bytes in base64 too when they are not UTF-8, so JSON
    // consumers get a usable string while a non-UTF-8 name still survives a round trip.
    private enum CodingKeys: String, CodingKey {
        case path, pathBytes, size, modificationTimeNs, modelID, title, artist, album, duration, norm, csi, score, fit,
             excerptCount, reasons, scoredAt
    }

    /// Reads a track written by `encode(to:)`; `pathBytes`, when present, wins over `path`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let bytes = try container.decodeIfPresent(Data.self, forKey: .pathBytes) {
            path = RawPath(bytes: [UInt8](bytes))
        } else {
            path = RawPath(try container.decode(String.self, forKey: .path))
        }
        size = try container.decode(Int64.self, forKey: .size)
        modificationTimeNs = try container.decode(Int64.self, forKey: .modificationTimeNs)
        modelID = try container.decode(String.self, forKey: .modelID)
        title = try container.decodeIfPresent(String.self, forKey: .title)
        artist = try container.decodeIfPresent(String.self, forKey: .artist)
        album = try container.decodeIfPresent(String.self, forKey: .album)
        duration = try container.decodeIfPresent(Double.self, forKey: .duration)
        norm = try container.decode(Double.self, forKey: .norm)
        csi = try container.decode(Double.self, forKey: .csi)
        score = try container.decodeIfPresent(Double.self, forKey: .score) ?? csi
        fit = try container.decode(Double.self, forKey: .fit)
        excerptCount = try container.decode(Int.self, forKey: .excerptCount)
        reasons = try container.decodeIfPresent([Reason].self, forKey: .reasons) ?? []
        scoredAt = try container.decode(Date.self, forKey: .scoredAt)
    }

    /// Writes `path` as text, plus `pathBytes` (base64) when the path is not valid UTF-8.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path.displayString, forKey: .path)
        if !path.isValidUTF8 { try container.encode(Data(path.bytes), forKey: .pathBytes) }
        try container.encode(size, forKey: .size)
        try container.encode(modificationTimeNs, forKey: .modificationTimeNs)
        try container.encode(modelID, forKey: .modelID)
        try container.encodeIfPresent(title, forKey: .title)
        try container.encodeIfPresent(artist, forKey: .artist)
        try container.encodeIfPresent(album, forKey: .album)
        try container.encodeIfPresent(duration, forKey: .duration)
        try container.encode(norm, forKey: .norm)
        try container.encode(csi, forKey: .csi)
        try container.encode(score, forKey: .score)
        try container.encode(fit, forKey: .fit)
        try container.encode(excerptCount, forKey: .excerptCount)
        try container.encode(reasons, forKey: .reasons)
        try container.encode(scoredAt, forKey: .scoredAt)
    }
}

/// Finds the liked tracks closest to a new track by cosine similarity of their embeddings.
///
/// Build it once per ranking: the liked tracks' norms are computed here, not for every new track.
public struct ClosestLiked: Sendable {
    private let names: [String]
    private let embeddings: [[Float]]
    private let norms: [Double]

    /// A search over the given liked tracks (name for people, embedding from the taste model).
    public init(liked: [(name: String, embedding: [Float])]) {
        names = liked.map(\.name)
        embeddings = liked.map(\.embedding)
        norms = liked.map { Self.norm($0.embedding) }
    }

    /// Up to `count` liked tracks closest to `embedding`, closest first (ties by name, so the order is stable).
    ///
    /// Embeddings are usually unit length already; the cosine divides by both norms anyway, because a stored
    /// embedding from another code path need not be. Liked tracks whose embedding has another length or a
    /// zero norm are left out, as is anything whose similarity is not finite.
    public func reasons(for embedding: [Float], count: Int = 3) -> [ScoredTrack.Reason] {
        guard count > 0 else { return [] }
        let norm = Self.norm(embedding)
        guard norm > 0, norm.isFinite else { return [] }
        var candidates: [ScoredTrack.Reason] = []
        for index in names.indices where embeddings[index].count == embedding.count && norms[index] > 0 {
            var dot = 0.0
            for (a, b) in zip(embedding, embeddings[index]) { dot += Double(a) * Double(b) }
            let similarity = dot / (norm * norms[index])
            guard similarity.isFinite else { continue }
            candidates.append(.init(likedTrack: names[index], similarity: min(1, max(-1, similarity))))
        }
        candidates.sort { ($0.similarity, $1.likedTrack) > ($1.similarity, $0.likedTrack) }
        return Array(candidates.prefix(count))
    }

    /// Up to `count` liked tracks closest to `embedding`, closest first; see the instance method.
    public static func reasons(for embedding: [Float], liked: [(name: String, embedding: [Float])],
                               count: Int = 3) -> [ScoredTrack.Reason] {
        ClosestLiked(liked: liked).reasons(for: embedding, count: count)
    }

    private static func norm(_ vector: [Float]) -> Double {
        var sum = 0.0
        for value in vector { sum += Double(value) * Double(value) }
        return sum.squareRoot()
    }
}
