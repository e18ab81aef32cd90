import Foundation
import LibraryScanner
import Model

extension TasteScoring {
    /// Scores one audio file with `model`, without the score cache: for `tunescore evaluate FILE`.
    /// - Throws: `AudioFileError` (naming the file) when it cannot be decoded.
    public static func scoreFile(_ path: RawPath, model: TasteModel, scratch: PCMCache) throws -> ScoredTrack {
        let info = try AudioDecoder().inspect(path: path)
        let tags = (try? TagReader().read(path: path, format: info.format)) ?? TrackTags()
        let (files, failures) = LibraryWalker().files(in: [path.absolute])
        guard let file = files.first else {
            throw ScoringError(message: "cannot read \(path.displayString): \(failures.first.map { "\($0)" } ?? "not a file")")
        }
        let row = CatalogTrack(path: file.path, size: file.size, modificationTimeNs: file.modificationTimeNs, format: info.format, tags: tags, duration: info.duration, failure: nil, scannedAt: Date())
        let scoring = TasteScoring(model: model, cache: nil, scratch: scratch)
        let scored = try scoring.scoreBatch([row], modelID: model.profile.modelID, tools: try scoring.rankingTools())
        if let failure = scored.skipped.first { throw ScoringError(message: failure.description) }
        return scored.tracks[0]
    }
}

/// A file that could not be scored, named in the message.
public struct ScoringError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
