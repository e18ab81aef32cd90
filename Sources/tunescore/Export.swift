import ArgumentParser
import Foundation
import Scoring

/// The scored tracks of one model, best first, from the score cache.
struct RankedScores: ParsableArguments {
    @Option(help: ArgumentHelp("Taste model whose scores to use (default: the one that scored last).", valueName: "name|path"))
    var model: String?

    /// The ranking of that model in `library`.
    func load(from library: Library) throws -> Ranking {
        try library.ranking(of: model)
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
        @OptionGroup var database: LibraryOptions

        func validate() throws {
            if let top, top < 1 { throw ValidationError("--top must be at least 1") }
            if let minFit, !(0...100).contains(minFit) { throw ValidationError("--min-fit must be between 0 and 100") }
        }

        func run() throws {
            let playlist = try ranking.load(from: database.library).exportPlaylist(to: out, top: top, minFit: minFit, relativeTo: relativeTo)
            for skipped in playlist.skipped { printError("left out of the playlist: \(skipped)") }
            print("wrote \(out): \(playlist.entryCount) tracks")
        }
    }
}
