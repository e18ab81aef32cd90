import ArgumentParser
import Foundation
import Scoring

/// Which taste model a command uses.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Taste model: a name (under $XDG_DATA_HOME/tunescore/models) or a model folder.", valueName: "name|path"))
    var model = "default"

    /// The model these options name.
    var choice: ModelChoice { ModelChoice(model) }
}

extension Tunescore {
    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scores new music against your taste model and prints it ranked by fit (0-100).",
            discussion: """
                The folders are scanned into the library database; each track is scored on up to max_excerpts_per_track \
                excerpts, and its fit is its percentile among your liked tracks' own scores. Results are cached by file \
                (size and modification time) and model: a second run scores only new or changed files.
                """)

        @Argument(help: ArgumentHelp("Folders (or files) of new music.", valueName: "folder"))
        var folders: [String]

        @OptionGroup var model: ModelOptions
        @OptionGroup var database: LibraryOptions

        @Option(help: "Rows of the ranked table to print (0 = all).")
        var top = 25

        @Flag(help: "Print every scored track as one JSON object per line instead of the table.")
        var json = false

        func validate() throws {
            if folders.isEmpty { throw ValidationError("name at least one folder of music to score") }
            if top < 0 { throw ValidationError("--top must be 0 or more") }
        }

        func run() throws {
            let outcome = try database.library.score(folders, model: model.choice, scanned: .progressBar()) { done, total in
                if total > 0 { printError("scored \(done)/\(total)") }
            }
            for file in outcome.skipped { printError("skipped \(file)") }
            printError(String(format: "%d tracks: %d from the cache, %d scored now (%.0f s of audio in %.1f s, %.0fx realtime)",
                              outcome.ranked.count, outcome.fromCache, outcome.scoredNow, outcome.audioSeconds,
                              outcome.scoringSeconds, outcome.audioSeconds / max(outcome.scoringSeconds, 1e-9)))
            let shown = top == 0 ? outcome.ranked : Array(outcome.ranked.prefix(top))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for track in outcome.ranked { print(String(decoding: try encoder.encode(ScoredTrackLine(track)), as: UTF8.self)) }
            } else {
                print(RankedTable.text(shown))
            }
        }
    }
}
