import ArgumentParser
import Foundation
import LibraryScanner
import Model
import Scoring

/// The scored tracks of one model, best first, from the score cache.
struct RankedScores: ParsableArguments {
    @Option(help: ArgumentHelp("Taste model whose scores to use (default: the one that scored last).", valueName: "name|path"))
    var model: String?

    /// The ranking and the model's profile (nil when the model folder cannot be found), or exit code 1
    /// with a hint when nothing was scored yet.
    func load(from library: LibraryOptions) throws -> (modelID: String, profile: TasteProfile?, tracks: [ScoredTrack]) {
        let cache = try ScoreCache(path: library.databasePath)
        let modelID: String?, profile: TasteProfile?
        if let model {
            do {
                profile = try TasteProfile.load(from: ModelStore.resolve(model))
            } catch {
                printError("model '\(model)': \(error)")
                throw ExitCode(1)
            }
            modelID = profile?.modelID
        } else {
            modelID = try cache.latestModelID()
            profile = modelID.flatMap { ModelStore.folder(forModelID: $0) }.flatMap { try? TasteProfile.load(from: $0) }
        }
        guard let modelID, case let tracks = try cache.ranked(modelID: modelID), !tracks.isEmpty else {
            printError("nothing scored yet in \(library.databasePath): run `tunescore score FOLDER` first")
            throw ExitCode(1)
        }
        return (modelID, profile, tracks)
    }
}

extension Tunescore {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Writes the ranked tracks as an extended M3U playlist (UTF-8), best fit first.")

        @Option(help: ArgumentHelp("The playlist file to write (.m3u8).", valueName: "file"))
        var out: String

        @Option(help: "Only the N best tracks.")
        var top: Int?

        @Option(help: "Only tracks with a fit of at least F (0-100).")
        var minFit: Double?

        @Option(help: ArgumentHelp("Write paths relative to this folder (default: absolute paths).", valueName: "folder"))
        var relativeTo: String?

        @OptionGroup var ranking: RankedScores
        @OptionGroup var library: LibraryOptions

        func validate() throws {
            if let top, top < 1 { throw ValidationError("--top must be at least 1") }
            if let minFit, !(0...100).contains(minFit) { throw ValidationError("--min-fit must be between 0 and 100") }
        }

        func run() throws {
            let (_, _, tracks) = try ranking.load(from: library)
            let writer = PlaylistWriter(top: top, minFit: minFit, relativeTo: relativeTo.map { RawPath($0).absolute })
            let playlist = writer.playlist(tracks)
            for skipped in playlist.skipped { printError("left out of the playlist: \(skipped)") }
            try playlist.write(to: URL(fileURLWithPath: out))
            print("wrote \(out): \(playlist.entryCount) tracks")
        }
    }
}
