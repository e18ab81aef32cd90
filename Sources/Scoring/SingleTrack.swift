import Foundation
import LibraryScanner
import Model

extension TasteScoring {
    /// Scores one audio file with `model`, without the score cache: for `tunescore evaluate FILE`. The file is read
    /// for its tags and decoded once (its excerpts only); the duration comes from that decode.
    /// - Throws: `AudioFileError` (naming the file) when it cannot be decoded.
    public static func scoreFile(_ path: RawPath, model: TasteModel) throws -> ScoredTrack {
        let (files, failures) = LibraryWalker().files(in: [path.absolute])
        guard let file = files.first else {
            throw ScoringError(message: "cannot read \(path.displayString): \(failures.first.map { "\($0)" } ?? "not a file")")
        }
        let format = try AudioFormat.detect(path: file.path)
        let tags = (try? TagReader().read(path: file.path, format: format)) ?? TrackTags()
        let row = CatalogTrack(path: file.path, size: file.size, modificationTimeNs: file.modificationTimeNs, format: format, tags: tags,
                               duration: nil, failure: nil, scannedAt: Date())
        let scoring = TasteScoring(model: model, cache: nil)
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
