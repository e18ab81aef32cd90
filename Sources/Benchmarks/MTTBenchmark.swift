import Foundation
import LibraryScanner
import Model

extension MTTSubset {
    /// The one-class split for `inClass`: its training clips train (less `validationFraction` of them, seeded,
    /// for validation); its test clips and every other class's test clips are tested. Each track's `group` is
    /// its class's name, so `MusicExperiment` reports AUROC per outlier class. Clips without a file are left out.
    public func split(inClass: MTTClass, validationFraction: Double, seed: UInt64) -> MusicSplit {
        func files(_ clips: [MTTClip]?) -> [AudioTrack] { (clips ?? []).compactMap { tracks[$0.mp3Path] } }
        let trainAll = files(train[inClass])
        // validationSplit needs at least one item.
        let (trainIndices, validationIndices) = trainAll.isEmpty ? ([], [])
            : validationSplit(count: trainAll.count, fraction: validationFraction, seed: seed)
        let held = files(test[inClass])
        let outliers = MTTClass.allCases.filter { $0 != inClass }.flatMap { files(test[$0]) }
        return MusicSplit(train: trainIndices.map { trainAll[$0] }, validation: validationIndices.map { trainAll[$0] },
                          test: held + outliers, testIsInClass: held.map { _ in true } + outliers.map { _ in false })
    }
}

/// The MagnaTagATune 5-genre one-class benchmark (`tunescore bench mtt`): train on one genre's training clips, test on
/// every genre's test clips.
public enum MTTBenchmark {
    /// How many skipped rows and files `run` names one by one; the rest it counts.
    static let shownProblems = 20

    /// Loads the subset at `config.dataPath`, tells `say` what it skipped and how many clips each genre has, and runs
    /// a `MusicExperiment` for `config.targetClass` with the audio cache in `cacheFolder`; the report's skipped files
    /// include the subset's missing clips.
    public static func run(config: RunConfig, cacheFolder: String, say: @escaping @Sendable (String) -> Void) throws -> MusicReport {
        let inClass = MTTClass(rawValue: config.targetClass)!
        let subset: MTTSubset
        do {
            subset = try MTTSubset.load(folder: config.dataPath)
        } catch {
            throw BenchmarkError(message: "\(error)")
        }
        for line in summary(of: subset) { say(line) }
        let split = subset.split(inClass: inClass, validationFraction: config.validationFraction, seed: UInt64(config.seed))
        guard !split.train.isEmpty, split.testIsInClass.contains(true), split.testIsInClass.contains(false) else {
            throw BenchmarkError(message: "\(inClass.name) needs training clips, test clips and outlier test clips; found \(split.train.count), "
                          + "\(split.testIsInClass.filter { $0 }.count) and \(split.testIsInClass.filter { !$0 }.count)")
        }
        let cache = try PCMCache(folder: cacheFolder, sampleRate: config.sampleRate)
        let experiment = MusicExperiment(config: config, split: split, cache: cache, label: inClass.name)
        var report = try experiment.run(log: try TrainingLog(directory: config.effectiveLogDirectory, config: config), say: say)
        report.skippedFiles += subset.skipped.count
        return report
    }

    /// What the subset left out (the first `shownProblems` rows and files by name), and its clips per genre.
    static func summary(of subset: MTTSubset) -> [String] {
        var lines = subset.annotations.problems.prefix(shownProblems).map { "\($0)" }
        lines += subset.skipped.prefix(shownProblems).map { "skipped \($0)" }
        let unshown = max(0, subset.annotations.problems.count - shownProblems) + max(0, subset.skipped.count - shownProblems)
        if unshown > 0 { lines.append("… and \(unshown) more skipped rows and files") }
        if !subset.annotations.missingTagColumns.isEmpty {
            lines.append("annotations_final.csv has no column for the tags \(subset.annotations.missingTagColumns.joined(separator: ", "))")
        }
        let counts = MTTClass.allCases.map { "\($0.name) \(subset.train[$0]!.count)/\(subset.test[$0]!.count)" }
        lines.append("MagnaTagATune subset (train/test clips): \(counts.joined(separator: ", ")); "
                     + "\(subset.annotations.ambiguousCount) clips with two classes and \(subset.annotations.untaggedCount) with none dropped")
        return lines
    }
}
