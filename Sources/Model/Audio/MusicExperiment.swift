import Dispatch
import Features
import Foundation
import LibraryScanner

/// Which tracks train, validate and test a one-class music model.
public struct MusicSplit: Sendable {
    public var train: [AudioTrack]
    public var validation: [AudioTrack]
    /// Held-out in-class tracks and outlier tracks; `testIsInClass` tells which.
    public var test: [AudioTrack]
    public var testIsInClass: [Bool]
    /// Outlier tracks given to the model as known dislikes (not tested).
    public var disliked: [AudioTrack] = []

    public init(train: [AudioTrack], validation: [AudioTrack], test: [AudioTrack], testIsInClass: [Bool]) {
        self.train = train
        self.validation = validation
        self.test = test
        self.testIsInClass = testIsInClass
    }

    /// Splits `liked` by track: a seeded `trainFraction` trains (less `validationFraction` of those for
    /// validation), the rest is held out and tested together with every track of `others`.
    public static func heldOut(liked: [AudioTrack], others: [AudioTrack], trainFraction: Double,
                               validationFraction: Double, seed: UInt64) -> MusicSplit {
        var generator = SeededGenerator(seed: seed ^ 0x7EA1)
        let order = liked.indices.shuffled(using: &generator)
        let trainCount = Int((Double(liked.count) * trainFraction).rounded())
        let trainAll = order.prefix(trainCount).sorted().map { liked[$0] }
        let held = order.dropFirst(trainCount).sorted().map { liked[$0] }
        let (train, validation) = validationSplit(count: trainAll.count, fraction: validationFraction, seed: seed)
        return MusicSplit(train: train.map { trainAll[$0] }, validation: validation.map { trainAll[$0] },
                          test: held + others, testIsInClass: held.map { _ in true } + others.map { _ in false })
    }

    /// The same split with `count` seeded outlier tracks moved from the test set to the known dislikes.
    public func withDislikes(_ count: Int, seed: UInt64) -> MusicSplit {
        guard count > 0 else { return self }
        var generator = SeededGenerator(seed: seed ^ 0xD15C)
        let outliers = test.indices.filter { !testIsInClass[$0] }.shuffled(using: &generator).prefix(count)
        let moved = Set(outliers)
        var split = MusicSplit(train: train, validation: validation, test: test.indices.filter { !moved.contains($0) }.map { test[$0] },
                               testIsInClass: testIsInClass.indices.filter { !moved.contains($0) }.map { testIsInClass[$0] })
        split.disliked = outliers.sorted().map { test[$0] }
        return split
    }
}

/// AUROC by both scores at one level (excerpt or track).
public struct ScorePair: Codable, Sendable {
    public var norm: Double?
    public var csi: Double?
    /// CSI's similarity and shift terms alone.
    public var similarity: Double?
    public var shift: Double?
    /// Track level only: cosine of the track's mean embedding to the closest liked training track.
    public var nearestLikedTrack: Double?
    /// Track level only: the descriptor density score (less the dislikes' density, when there are known dislikes).
    public var descriptor: Double?
    /// Track level only, with known dislikes: the liked tracks' density alone, on the same test tracks.
    public var likedOnly: Double?
    /// Track level only: the score `tunescore score` ranks by (`taste_score`).
    public var ranked: Double?
}

/// AUROCs of in-class test tracks against one set of outliers.
public struct MusicAUROC: Codable, Sendable {
    public var outliers: Int
    /// Of the ten test tracks the ranked score puts first, the share that are held-out liked tracks (the top of the
    /// list a person looks at; below 1 at best when fewer than ten liked tracks are held out).
    public var precisionAt10: Double?
    public var excerpt: ScorePair
    public var track: ScorePair
}

/// What a music one-class benchmark measured.
public struct MusicReport: Codable, Sendable {
    public var dataset: String
    public var liked: String
    /// The score the run ranks by (`taste_score`): its AUROC is `ranked` in every `track` entry.
    public var rankedBy: String
    public var trainTracks: Int
    public var validationTracks: Int
    public var heldOutTracks: Int
    /// The liked files the model learned from (training and validation), as paths: give them to another scorer to
    /// compare on the same split.
    public var trainFiles: [String]
    /// Outlier files given as known dislikes (`bench genres --dislikes`), left out of the test.
    public var dislikedFiles: [String]
    /// The held-out liked files (the in-class test tracks), as paths: which split this run had.
    public var heldOutFiles: [String]
    public var outlierTracks: [String: Int]
    public var skippedFiles: Int
    public var epochs: Int
    /// Against every outlier track.
    public var overall: MusicAUROC
    /// Against the outlier tracks of each group (style, genre).
    public var perGroup: [String: MusicAUROC]
    /// Decode → mono → resample → log-mel, seconds of audio per second, all cores.
    public var featureRealtimeFactor: Double
    public var decodeSeconds: Double
    /// Computing the descriptors of every liked and test track.
    public var descriptorSeconds: Double
    /// 0 when `taste_score` needs no network (then the training figures below are absent).
    public var trainingSeconds: Double
    public var trainingItemsPerSecond: Double?
    /// Optimiser steps alone on a prepared batch: the mean of one reading before training and one after.
    public var modelOnlyItemsPerSecond: Double?
    public var loopEfficiency: Double?
    /// The share of the loop spent waiting for data (`TrainingResult.dataWaitFraction`).
    public var dataWaitFraction: Double?
    public var scoringSeconds: Double
    public var threads: Int
    public var checkpoint: String?
    /// Ranks that trained the network together (1 alone) and `CSINetwork.parameterChecksum` of its final parameters.
    public var worldSize = 1
    public var paramChecksum: String?
}

/// Trains a CSI model on music tracks and measures how well it tells held-out in-class tracks from others.
public struct MusicExperiment: Sendable {
    public let config: RunConfig
    public let split: MusicSplit
    public let cache: PCMCache
    public let label: String
    /// The data-parallel group the network trains in; nil trains alone. Rank 0 runs `run`, the others `trainAsFollower`.
    public var group: ProcessGroup?

    public init(config: RunConfig, split: MusicSplit, cache: PCMCache, label: String) {
        self.config = config
        self.split = split
        self.cache = cache
        self.label = label
    }

    /// Decodes, trains (as `tunescore train` does, when `taste_score` needs a network), scores and reports; `say`
    /// narrates the steps. With `resume`, training continues from the log folder's `last.pt`, so a finished run is
    /// scored again without training.
    public func run(log: TrainingLog, resume: Bool = false, say: @escaping @Sendable (String) -> Void) throws -> MusicReport {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        say("decoding \(split.train.count + split.validation.count + split.test.count) tracks (cached after the first run)")
        let decodeStart = DispatchTime.now()
        let test = MusicCollection.decode(split.test, cache: cache, threads: threads)
        let training = self.training
        let liked = MusicCollection.decode(training.tracks, cache: cache, threads: threads)
        let disliked = MusicCollection.decode(split.disliked, cache: cache, threads: threads)
        let decodeSeconds = seconds(since: decodeStart)
        for file in test.skipped { say("skipped \(file)") }

        say("measuring feature extraction speed")
        let realtime = try FeatureBenchmark.realtimeFactor(tracks: Array(split.train.prefix(8)), config: config, threads: threads)

        say("describing \(liked.tracks.count) liked and \(test.tracks.count) test tracks")
        let descriptorStart = DispatchTime.now()
        let taste = DescriptorTaste(config: config, liked: liked.pcm, disliked: disliked.pcm, space: try DescriptorSpace.forConfig(config),
                                    threads: threads)
        let testEmbeddings = taste.embeddings(of: test.pcm, threads: threads)
        let descriptorScores = testEmbeddings.map { taste.density.score($0) }
        let descriptorSeconds = seconds(since: descriptorStart)

        var network: NetworkRun?
        if config.tasteScore.needsNetwork {
            network = try trainAndScore(training: training, test: test, log: log, resume: resume, say: say)
        }
        let ranking = network?.outcome.profile.ranking
            ?? TasteRanking(kind: config.tasteScore, descriptorCalibration: taste.calibrationScores, csiCalibration: [])
        let ranked = test.tracks.indices.map { t in
            ranking.score(descriptor: descriptorScores[t], csi: network?.scores.csi[t])
        }

        let inClass = Dictionary(zip(split.test, split.testIsInClass), uniquingKeysWith: { first, _ in first })
        let isIn = test.tracks.map { inClass[$0] ?? false }
        let groups = test.tracks.map { $0.group ?? "other" }
        var evaluation = GroupedAUROC(trackOfItem: network?.scores.trackOfExcerpt ?? [], isInClass: isIn, groups: groups,
                                      scores: network?.scores.excerptScores ?? ItemScores(norm: [], csi: []))
        evaluation.trackScores = ["descriptor": descriptorScores, "ranked": ranked]
        if !disliked.tracks.isEmpty {
            evaluation.trackScores["likedOnly"] = testEmbeddings.map { taste.density.liked.score($0) }
        }
        if let network { evaluation.trackScores["nearestLikedTrack"] = network.nearestLiked }
        let logFolder = URL(fileURLWithPath: config.effectiveLogDirectory)
        try FileManager.default.createDirectory(at: logFolder, withIntermediateDirectories: true)
        if let network {
            try writeExcerptScores(network.scores, tracks: test.tracks, isInClass: isIn,
                                   to: logFolder.appendingPathComponent("excerpt-scores.csv"))
        }
        try writeTrackScores(tracks: test.tracks, isInClass: isIn, columns: evaluation.trackScores,
                             to: logFolder.appendingPathComponent("track-scores.csv"))
        let outlierGroups = zip(groups, isIn).filter { !$0.1 }.map(\.0)
        let result = network.flatMap { $0.outcome.result }
        let modelOnly = network?.outcome.modelOnlyItemsPerSecond
        return MusicReport(
            dataset: config.datasetName.rawValue, liked: label, rankedBy: config.tasteScore.rawValue,
            trainTracks: network?.outcome.trainTracks ?? split.train.count,
            validationTracks: network?.outcome.validationTracks ?? split.validation.count, heldOutTracks: isIn.filter { $0 }.count,
            trainFiles: liked.tracks.map(\.path.displayString), dislikedFiles: disliked.tracks.map(\.path.displayString),
            heldOutFiles: zip(test.tracks, isIn).filter(\.1).map(\.0.path.displayString),
            outlierTracks: Dictionary(grouping: outlierGroups, by: { $0 }).mapValues(\.count),
            skippedFiles: test.skipped.count + liked.skipped.count, epochs: result?.epochsCompleted ?? 0,
            overall: evaluation.auroc(against: nil),
            perGroup: Dictionary(uniqueKeysWithValues: Set(outlierGroups).map { ($0, evaluation.auroc(against: $0)) }),
            featureRealtimeFactor: realtime, decodeSeconds: decodeSeconds, descriptorSeconds: descriptorSeconds,
            trainingSeconds: result?.trainingSeconds ?? 0,
            trainingItemsPerSecond: result?.itemsPerSecond, modelOnlyItemsPerSecond: modelOnly,
            loopEfficiency: result.flatMap { r in modelOnly.map { r.itemsPerSecond / $0 } }, dataWaitFraction: result?.dataWaitFraction,
            scoringSeconds: network?.scoringSeconds ?? 0, threads: TorchRuntime.threads,
            checkpoint: result.map { config.scoringCheckpoint(of: $0).path }, worldSize: result?.worldSize ?? 1,
            paramChecksum: result?.parameterChecksum)
    }

    /// The taste training of the liked split, in this experiment's group.
    private var training: TasteTraining {
        var training = TasteTraining(config: config, tracks: split.train + split.validation, disliked: split.disliked,
                                     validation: Set(split.validation), cache: cache,
                                     folder: URL(fileURLWithPath: config.effectiveCheckpointDirectory))
        training.group = group
        return training
    }

    /// A rank other than 0 of `group`: trains its shard of the network alongside rank 0, which alone scores and reports.
    public func trainAsFollower(resume: Bool = false, say: @Sendable (String) -> Void) throws -> RankReport {
        try training.trainAsFollower(resume: resume, say: say)
    }

    /// What training a network and scoring the test tracks with it gave.
    struct NetworkRun {
        var outcome: TasteTraining.Outcome
        var scores: TrackScores
        /// Per test track: cosine of its mean embedding to the closest liked training track.
        var nearestLiked: [Double]
        var scoringSeconds: Double
    }

    private func trainAndScore(training: TasteTraining, test: (tracks: [AudioTrack], pcm: [PCMTrack], skipped: [SkippedFile]),
                               log: TrainingLog, resume: Bool, say: @escaping @Sendable (String) -> Void) throws -> NetworkRun {
        let outcome = try training.run(log: log, resume: resume, measureModelOnly: true, say: say)
        guard let network = outcome.network, let reference = outcome.profile.reference else {
            throw TorchError(code: .invalidArgument, message: "taste_score \(config.tasteScore.rawValue) trained no network")
        }
        say("scoring \(test.tracks.count) test tracks")
        let scoringStart = DispatchTime.now()
        let scorer = try CSIScorer(network: network, reference: reference, settings: config.scoringSettings)
        let views = try AudioViewMaker(config: config)
        let scores = try scorer.scoreTracks(test.tracks, pcm: test.pcm, views: views, maxExcerpts: config.maxExcerptsPerTrack)
        let scoringSeconds = seconds(since: scoringStart)
        let trainedOn = outcome.profile.liked.filter { !$0.isHeldOut }.map(\.embedding)
        let nearest = scores.embeddings.map { embedding in
            trainedOn.map { zip($0, embedding).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }.max() ?? .nan
        }
        return NetworkRun(outcome: outcome, scores: scores, nearestLiked: nearest, scoringSeconds: scoringSeconds)
    }
}

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

extension MusicExperiment {
    /// One row per test track with every track-level score, for trying other combinations on the same run.
    func writeTrackScores(tracks: [AudioTrack], isInClass: [Bool], columns: [String: [Double]], to url: URL) throws {
        let names = columns.keys.sorted()
        var text = "track,group,in_class," + names.joined(separator: ",") + ",file\n"
        for (t, track) in tracks.enumerated() {
            let file = track.path.displayString.replacingOccurrences(of: "\"", with: "\"\"")
            text += "\(t),\(track.group ?? ""),\(isInClass[t] ? 1 : 0)," + names.map { String(columns[$0]![t]) }.joined(separator: ",")
                + ",\"\(file)\"\n"
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// One row per scored excerpt (track, group, in class, every score), so other ways of pooling excerpts into
    /// a track score can be tried on the same run.
    func writeExcerptScores(_ scores: TrackScores, tracks: [AudioTrack], isInClass: [Bool], to url: URL) throws {
        let items = scores.excerptScores
        func value(_ values: [Double], _ i: Int) -> String { i < values.count ? String(values[i]) : "" }
        var text = "track,group,in_class,csi,similarity,shift,norm,file\n"
        for (i, track) in scores.trackOfExcerpt.enumerated() {
            let file = tracks[track].path.displayString.replacingOccurrences(of: "\"", with: "\"\"")
            text += "\(track),\(tracks[track].group ?? ""),\(isInClass[track] ? 1 : 0),\(value(items.csi, i)),"
                + "\(value(items.similarity, i)),\(value(items.shift, i)),\(value(items.norm, i)),\"\(file)\"\n"
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}

/// AUROCs per excerpt and per track (mean of its excerpts), against all outliers or one group of them.
struct GroupedAUROC {
    let trackOfItem: [Int]
    let isInClass: [Bool]
    let groups: [String]
    let scores: ItemScores
    /// Track-level scores by name: "nearestLikedTrack", "descriptor", "ranked" (the one precision at 10 ranks by).
    var trackScores: [String: [Double]] = [:]

    init(trackOfItem: [Int], isInClass: [Bool], groups: [String], scores: ItemScores) {
        self.trackOfItem = trackOfItem
        self.isInClass = isInClass
        self.groups = groups
        self.scores = scores
    }

    /// `group` nil = all outliers; in-class tracks are always included.
    func auroc(against group: String?) -> MusicAUROC {
        let keepTrack = isInClass.indices.map { isInClass[$0] || group == nil || groups[$0] == group }
        let items = trackOfItem.indices.filter { keepTrack[trackOfItem[$0]] }
        let tracks = keepTrack.indices.filter { keepTrack[$0] }
        func excerptLevel(_ values: [Double]) -> Double? {
            guard !values.isEmpty, values.count == trackOfItem.count else { return nil }
            return AUROC.area(scores: items.map { values[$0] }, isPositive: items.map { isInClass[trackOfItem[$0]] })
        }
        func trackLevel(_ values: [Double]) -> Double? {
            guard !values.isEmpty, values.count == trackOfItem.count else { return nil }
            var sums = [Double](repeating: 0, count: isInClass.count), counts = [Int](repeating: 0, count: isInClass.count)
            for (item, track) in trackOfItem.enumerated() {
                sums[track] += values[item]
                counts[track] += 1
            }
            return AUROC.area(scores: tracks.map { sums[$0] / Double(max(1, counts[$0])) }, isPositive: tracks.map { isInClass[$0] })
        }
        func named(_ name: String) -> Double? {
            trackScores[name].flatMap { values in AUROC.area(scores: tracks.map { values[$0] }, isPositive: tracks.map { isInClass[$0] }) }
        }
        return MusicAUROC(outliers: tracks.filter { !isInClass[$0] }.count,
                          precisionAt10: trackScores["ranked"].map { values in
                              AUROC.precision(at: 10, scores: tracks.map { values[$0] }, isPositive: tracks.map { isInClass[$0] })
                          },
                          excerpt: ScorePair(norm: excerptLevel(scores.norm), csi: excerptLevel(scores.csi),
                                             similarity: excerptLevel(scores.similarity), shift: excerptLevel(scores.shift)),
                          track: ScorePair(norm: trackLevel(scores.norm), csi: trackLevel(scores.csi),
                                           similarity: trackLevel(scores.similarity), shift: trackLevel(scores.shift),
                                           nearestLikedTrack: named("nearestLikedTrack"), descriptor: named("descriptor"), likedOnly: named("likedOnly"),
                                           ranked: named("ranked")))
    }
}

/// Feature extraction speed: decode → mono → resample → log-mel of whole tracks, without the cache.
public enum FeatureBenchmark {
    /// What `run` measured.
    public struct Report: Codable, Sendable {
        /// Tracks read (tracks that failed to decode are counted in `failedTracks`, not here).
        public var tracks: Int
        public var failedTracks: Int
        /// Seconds of source audio read.
        public var audioSeconds: Double
        public var wallSeconds: Double
        /// `audioSeconds / wallSeconds`.
        public var realtimeFactor: Double
        /// Thread seconds spent decoding + mixing down + resampling, and computing log-mels, summed over threads.
        public var decodeThreadSeconds: Double
        public var melThreadSeconds: Double
        public var threads: Int
    }

    /// Seconds of audio processed per second of wall time, over `tracks`, on `threads` threads.
    public static func realtimeFactor(tracks: [AudioTrack], config: RunConfig, threads: Int) throws -> Double {
        try run(tracks: tracks, config: config, threads: threads).realtimeFactor
    }

    /// Decodes every track whole and computes the log-mels of all its excerpts; threads take the next track when
    /// they are free, so long and short tracks share the cores evenly.
    public static func run(tracks: [AudioTrack], config: RunConfig, threads: Int) throws -> Report {
        let decoder = AudioDecoder(targetSampleRate: config.sampleRate)
        let mel = MelSpectrogram(sampleRate: config.sampleRate, excerptLength: config.sampleLength)
        let audioSeconds = LockedArray<Double>(repeating: 0, count: tracks.count)
        let stageSeconds = LockedArray<Double>(repeating: 0, count: 2)
        let failed = LockedArray<Int>(repeating: 0, count: 1)
        let start = DispatchTime.now()
        parallelFor(tracks.count, threads: threads) { i in
            let decodeStart = DispatchTime.now()
            guard let decoded = try? decoder.decode(path: tracks[i].path) else {
                _ = failed.increment(0)
                return
            }
            let melStart = DispatchTime.now()
            _ = mel.logMelBatch(track: decoded.samples, workers: 1)
            stageSeconds.add(Double(melStart.uptimeNanoseconds - decodeStart.uptimeNanoseconds) / 1e9, at: 0)
            stageSeconds.add(seconds(since: melStart), at: 1)
            audioSeconds[i] = decoded.sourceDuration
        }
        let wall = seconds(since: start)
        let audio = audioSeconds.elements.reduce(0, +)
        return Report(tracks: tracks.count - failed[0], failedTracks: failed[0], audioSeconds: audio,
                      wallSeconds: wall, realtimeFactor: audio / max(wall, 1e-9),
                      decodeThreadSeconds: stageSeconds[0], melThreadSeconds: stageSeconds[1],
                      threads: max(1, min(threads, tracks.count)))
    }
}
