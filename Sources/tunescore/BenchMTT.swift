import ArgumentParser
import Benchmarks
import Scoring

extension Tunescore.Bench {
    struct BenchMTT: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mtt",
            abstract: "MagnaTagATune 5-genre one-class benchmark: train on one genre's training clips, test on every genre's test clips.")

        @Option(help: "MagnaTagATune folder: annotations_final.csv and the sub-folders 0…9, a…f with the mp3 files.")
        var data: String

        @OptionGroup var options: ConfigOptions

        @Option(help: "In-distribution genre: 0-4 or its name (classical, techno, rock, indian, pop); default: the config's target_class.")
        var targetClass: String?

        @Option(help: "Audio cache folder (default: $XDG_CACHE_HOME/tunescore/pcm).")
        var cache: String?

        @OptionGroup var bench: TrainingBenchOptions

        func validate() throws {
            if let targetClass, MTTBenchmark.genre(targetClass) == nil {
                throw ValidationError("--target-class must be 0-4 or one of \(MTTBenchmark.genreNames.joined(separator: ", ")), got '\(targetClass)'")
            }
        }

        func run() throws {
            let report = try MTTBenchmark.run(data: data, targetClass: targetClass, epochs: bench.epochs, config: options.request,
                                              cacheFolder: cache, say: printError)
            try printReport(report, json: bench.json)
        }
    }
}
