import ArgumentParser
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
            let inClass = MTTClass(rawValue: config.targetClass)!
            let subset: MTTSubset
            do {
                subset = try MTTSubset.load(folder: config.dataPath)
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            let shown = 20
            for problem in subset.annotations.problems.prefix(shown) { printError("\(problem)") }
            for file in subset.skipped.prefix(shown) { printError("skipped \(file)") }
            let unshown = max(0, subset.annotations.problems.count - shown) + max(0, subset.skipped.count - shown)
            if unshown > 0 { printError("… and \(unshown) more skipped rows and files") }
            if !subset.annotations.missingTagColumns.isEmpty {
                printError("annotations_final.csv has no column for the tags \(subset.annotations.missingTagColumns.joined(separator: ", "))")
            }
            let counts = MTTClass.allCases.map { "\($0.name) \(subset.train[$0]!.count)/\(subset.test[$0]!.count)" }
            printError("MagnaTagATune subset (train/test clips): \(counts.joined(separator: ", ")); "
                       + "\(subset.annotations.ambiguousCount) clips with two classes and \(subset.annotations.untaggedCount) with none dropped")
            let split = subset.split(inClass: inClass, validationFraction: config.validationFraction, seed: UInt64(config.seed))
            guard !split.train.isEmpty, split.testIsInClass.contains(true), split.testIsInClass.contains(false) else {
                printError("\(inClass.name) needs training clips, test clips and outlier test clips; found \(split.train.count), "
                           + "\(split.testIsInClass.filter { $0 }.count) and \(split.testIsInClass.filter { !$0 }.count)")
                throw ExitCode(1)
            }
            let pcm = try PCMCache(folder: cache ?? PCMCache.defaultFolder(), sampleRate: config.sampleRate)
            let experiment = MusicExperiment(config: config, split: split, cache: pcm, label: inClass.name)
            var report = try experiment.run(log: try TrainingLog(directory: config.effectiveLogDirectory, config: config)) {
                printError($0)
            }
            report.skippedFiles += subset.skipped.count
            try printReport(report, json: bench.json)
        }

        private func genre(_ text: String) -> MTTClass? {
            Int(text).flatMap(MTTClass.init(rawValue:)) ?? MTTClass(name: text)
        }
    }
}
