import ArgumentParser
import Benchmarks
import Scoring

extension Tunescore.Bench {
    struct BenchScore: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score",
            abstract: "Scoring speed: a cold run (scan, decode, score, save) and a cached re-run, in a fresh database.")

        @Argument(help: ArgumentHelp("Folders of music to score.", valueName: "folder"))
        var folders: [String]

        @OptionGroup var model: ModelOptions

        @Option(help: "Run beside two busy loops (one per core), at nice 19 (background jobs) or nice 0 (another program in use): scoring speed on a machine that is doing something else.")
        var background: BackgroundLoad.Kind?

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if folders.isEmpty { throw ValidationError("name at least one folder of music") }
        }

        func run() throws {
            let report = try ScoringBenchmark.run(model: model.choice, folders: folders, background: background)
            try printReport(report, json: json)
        }
    }
}

extension Tunescore.Bench {
    struct BenchScan: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan",
            abstract: "Library-scale scanning: a library of --files copies scanned into a fresh database, then rescanned unchanged.")

        @Option(help: "Files in the library.")
        var files = 20_000

        @Option(parsing: .upToNextOption, help: ArgumentHelp("Folders whose files the library copies, in turn (default: sixteen generated two-second WAV tones).", valueName: "folder"))
        var from: [String] = []

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if files < 1 { throw ValidationError("--files must be at least 1") }
        }

        func run() throws {
            try printReport(try ScanBenchmark.run(files: files, from: from), json: json)
        }
    }
}
