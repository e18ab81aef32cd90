import Foundation
import LibraryScanner
import Model

extension TasteScoring {
    /// Scores one audio file with `model`, without the score cache: for `tunescore evaluate FILE`. The file is opened
    /// once: for its format, its decode (its excerpts only; the duration comes from that decode) and its tags (TagLib
    /// reading the same descriptor, filled in as the scan does from FFmpeg's container where FFmpeg decodes the file).
    /// - Throws: `AudioFileError` (naming the file) when it cannot be opened or is not audio, `ScoringError` when it cannot
    ///   be decoded.
    public static func scoreFile(_ path: RawPath, model: TasteModel) throws -> ScoredTrack {
        let (files, failures) = LibraryWalker().files(in: [path.absolute])
        guard let file = files.first else {
            throw ScoringError(message: "cannot read \(path.displayString): \(failures.first.map { "\($0)" } ?? "not a file")")
        }
        let audio = try AudioFile(path: file.path)
        let decoded: DecodedExcerpts
        do {
            decoded = try model.decodeForScoring(audio)
        } catch {
            throw ScoringError(message: "\(file.path.displayString): \(error)")
        }
        let tagLib = (try? TagReader().read(audio)) ?? TrackTags()
        let tags = decoded.containerTags.map(tagLib.fillingIn) ?? tagLib
        let track = AudioTrack(path: file.path, size: file.size, modificationTimeNs: file.modificationTimeNs, title: tags.title,
                               artist: tags.artist, album: tags.album)
        let scoring = TasteScoring(model: model, cache: nil)
        let scored = try scoring.scoreDecoded(([track], [PCMTrack(excerpts: decoded)], []), modelID: model.profile.modelID,
                                              tools: try scoring.rankingTools())
        return scored.tracks[0]
    }
}

/// A file that could not be scored, named in the message.
public struct ScoringError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
