import Foundation
import Model

/// The spread of one AUROC over repeated runs.
public struct AUROCSpread: Codable, Sendable {
    public var mean: Double
    public var min: Double
    public var max: Double

    public init(_ values: [Double]) {
        mean = values.reduce(0, +) / Double(Swift.max(1, values.count))
        min = values.min() ?? .nan
        max = values.max() ?? .nan
    }
}

/// What repeated runs of a music benchmark measured: every run, and the spread of its headline numbers.
public struct MusicSeriesReport: Codable, Sendable {
    /// The network seed of each run; with `variesSplit` also its split's seed, else the split's seed is the first one.
    public var seeds: [Int]
    /// Every run had a split of its own (`bench genres --splits`), not the first run's.
    public var variesSplit: Bool
    public var runs: [MusicReport]
    /// Track-level AUROC of the score the config ranks by (`ranked`): "overall" and one entry per outlier group.
    public var trackAUROC: [String: AUROCSpread]
    /// Precision at 10 of the ranked score against all outliers.
    public var precisionAt10: AUROCSpread
    /// Mean training seconds of a run (0 when nothing is trained).
    public var trainingSeconds: Double

    public init(seeds: [Int], variesSplit: Bool, runs: [MusicReport]) {
        self.seeds = seeds
        self.variesSplit = variesSplit
        self.runs = runs
        var spreads = ["overall": AUROCSpread(runs.compactMap(\.overall.track.ranked))]
        for group in Set(runs.flatMap(\.perGroup.keys)) {
            spreads[group] = AUROCSpread(runs.compactMap { $0.perGroup[group]?.track.ranked })
        }
        trackAUROC = spreads
        precisionAt10 = AUROCSpread(runs.compactMap(\.overall.precisionAt10))
        trainingSeconds = runs.reduce(0) { $0 + $1.trainingSeconds } / Double(max(1, runs.count))
    }
}

/// Every style of a collection in turn as the liked music (`bench genres --liked all`): a taste benchmark that no
/// single style can be tuned to.
public struct TasteBenchmarkReport: Codable, Sendable {
    /// Per liked style, its runs.
    public var styles: [String: MusicSeriesReport]
    /// The mean over styles of each style's mean ranked-score track AUROC against all other styles.
    public var meanTrackAUROC: Double
    /// The same for precision at 10.
    public var meanPrecisionAt10: Double

    public init(styles: [String: MusicSeriesReport]) {
        self.styles = styles
        let means = styles.values.map(\.trackAUROC["overall"]).compactMap { $0?.mean }
        meanTrackAUROC = means.reduce(0, +) / Double(max(1, means.count))
        let precisions = styles.values.map(\.precisionAt10.mean)
        meanPrecisionAt10 = precisions.reduce(0, +) / Double(max(1, precisions.count))
    }

    /// One line per liked style: the ranked score's track AUROC against each other style and all of them (mean over
    /// runs, with min-max where there are several), precision at 10, training seconds; then the mean over styles.
    public func table() -> String {
        let names = styles.keys.sorted()
        func cell(_ spread: AUROCSpread?, runs: Int) -> String {
            guard let spread, !spread.mean.isNaN else { return "-" }
            return runs > 1 ? String(format: "%.3f (%.3f-%.3f)", spread.mean, spread.min, spread.max) : String(format: "%.3f", spread.mean)
        }
        var lines = ["liked | " + names.map { "vs \($0)" }.joined(separator: " | ") + " | overall | P@10 | training s | runs"]
        for liked in names {
            let series = styles[liked]!
            let columns = names.map { $0 == liked ? "" : cell(series.trackAUROC[$0], runs: series.runs.count) }
            lines.append("\(liked) | " + columns.joined(separator: " | ") + " | \(cell(series.trackAUROC["overall"], runs: series.runs.count))"
                         + " | \(cell(series.precisionAt10, runs: series.runs.count)) | \(String(format: "%.0f", series.trainingSeconds)) | \(series.runs.count)")
        }
        lines.append(String(format: "mean over %d styles: track AUROC %.3f, P@10 %.3f", names.count, meanTrackAUROC, meanPrecisionAt10))
        return lines.joined(separator: "\n")
    }
}

/// A music benchmark run several times, the network seed counting up from the config's: on one split, how much of
/// a difference between two settings the seed alone makes; with `resplit`, on a new split each run, how much the
/// choice of held-out tracks makes (which tracks are held out moves the AUROC more than the seed does).
public struct MusicSeries: Sendable {
    public let experiment: MusicExperiment
    public let runs: Int
    /// The split for a run's seed; nil = every run keeps the experiment's split.
    public let resplit: (@Sendable (Int) -> MusicSplit)?

    public init(experiment: MusicExperiment, runs: Int, resplit: (@Sendable (Int) -> MusicSplit)? = nil) {
        self.experiment = experiment
        self.runs = max(1, runs)
        self.resplit = resplit
    }

    /// Runs every seed in turn; each writes its log, checkpoints and excerpt scores to `log_dir/seed-N`.
    public func run(say: @escaping @Sendable (String) -> Void) throws -> MusicSeriesReport {
        let base = experiment.config
        var reports: [MusicReport] = []
        var seeds: [Int] = []
        for offset in 0..<runs {
            var config = base
            config.seed = base.seed + offset
            config.logDirectory = URL(fileURLWithPath: base.effectiveLogDirectory).appendingPathComponent("seed-\(config.seed)").path
            config.checkpointPath = nil
            say("run \(offset + 1) of \(runs): network seed \(config.seed)\(resplit == nil ? "" : ", split seed \(config.seed)")")
            let single = MusicExperiment(config: config, split: resplit?(config.seed) ?? experiment.split, cache: experiment.cache,
                                         label: experiment.label)
            reports.append(try single.run(log: try TrainingLog(directory: config.effectiveLogDirectory, config: config), say: say))
            seeds.append(config.seed)
        }
        return MusicSeriesReport(seeds: seeds, variesSplit: resplit != nil, runs: reports)
    }
}
