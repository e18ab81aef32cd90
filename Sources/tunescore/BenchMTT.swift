import ArgumentParser
import Benchmarks
import Foundation
import Model

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
            if let targetClass, genre(targetClass) == nil {
                throw ValidationError("--target-class must be 0-4 or one of \(MTTClass.allCases.map(\.name).joined(separator: ", ")), got '\(targetClass)'")
            }
        }

        func run() throws {
            var extra: [String: Any] = ["path_data": data, "dataset_name": "mtt"]
            if let targetClass, let genre = genre(targetClass) { extra["target_class"] = genre.rawValue }
            let config = try options.load(purpose: .training, extra: extra.merging(bench.overrides) { $1 }, defaults: RunConfig.musicPreset())
            let report: MusicReport
            do {
                report = try MTTBenchmark.run(config: config, cacheFolder: cache ?? PCMCache.defaultFolder()) { printError($0) }
            } catch let failure as BenchmarkError {
                printError("\(failure)")
                throw ExitCode(1)
            }
            try printReport(report, json: bench.json)
        }

        private func genre(_ text: String) -> MTTClass? {
            Int(text).flatMap(MTTClass.init(rawValue:)) ?? MTTClass(name: text)
        }
    }
}
