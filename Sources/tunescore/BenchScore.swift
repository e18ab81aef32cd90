import ArgumentParser
import Foundation
import LibraryScanner
import Scoring

extension Tunescore.Bench {
    struct BenchScore: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score",
            abstract: "Scoring speed: a cold run (scan, decode, score, save) and a cached re-run, in a fresh database.")

        @Argument(help: ArgumentHelp("Folders of music to score.", valueName: "folder"))
        var folders: [String]

        @OptionGroup var model: ModelOptions

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if folders.isEmpty { throw ValidationError("name at least one folder of music") }
        }

        func run() throws {
            let taste = try model.load()
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("tunescore-bench-score-\(getpid())")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let report = try ScoringBenchmark.run(model: taste, folders: folders.map(RawPath.init),
                                                  databasePath: work.appendingPathComponent("library.sqlite").path,
                                                  scratchFolder: work.appendingPathComponent("scratch").path)
            try printReport(report, json: json)
        }
    }
}
