import Dispatch
import Features
import Foundation
import LibraryScanner
import Model
import Scoring

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
    /// The share of batches built with normal-priority help from the start (`TrainingResult.helpedBatchFraction`).
    public var helpedBatchFraction: Double?
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
            evaluation.trackScores["likedOnly"] = testEmbeddings.map { taste.density.scoreWithoutDislikes($0) }
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
        let modelOnly = network?.modelOnlyItemsPerSecond
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
            helpedBatchFraction: result?.helpedBatchFraction,
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
        /// Model-only step throughput measured in the same run (`ModelOnlyProbe`, the mean of its readings).
        var modelOnlyItemsPerSecond: Double?
        var scores: TrackScores
        /// Per test track: cosine of its mean embedding to the closest liked training track.
        var nearestLiked: [Double]
        var scoringSeconds: Double
    }

    private func trainAndScore(training: TasteTraining, test: (tracks: [AudioTrack], pcm: [PCMTrack], skipped: [SkippedFile]),
                               log: TrainingLog, resume: Bool, say: @escaping @Sendable (String) -> Void) throws -> NetworkRun {
        let probe = ModelOnlyProbeObserver(steps: 10, interleavedSteps: 6)
        let outcome = try training.run(log: log, resume: resume, observer: probe, say: say)
        guard let network = outcome.network, let reference = outcome.profile.reference else {
            throw BenchmarkError(message: "taste_score \(config.tasteScore.rawValue) trained no network")
        }
        say("scoring \(test.tracks.count) test tracks")
        let scoringStart = DispatchTime.now()
        let scorer = try CSIScorer(network: network, reference: reference, settings: config.scoringSettings)
        let views = try AudioViewMaker(config: config)
        let scores = try scorer.scoreTracks(test.tracks, pcm: test.pcm, views: views, maxExcerpts: config.maxExcerptsPerTrack)
        let scoringSeconds = seconds(since: scoringStart)
        let trainedOn = ClosestLiked(liked: outcome.profile.liked.filter { !$0.isHeldOut }.map { ($0.displayName, $0.embedding) })
        let nearest = scores.embeddings.map { trainedOn.reasons(for: $0, count: 1).first?.similarity ?? .nan }
        return NetworkRun(outcome: outcome, modelOnlyItemsPerSecond: probe.itemsPerSecond, scores: scores, nearestLiked: nearest,
                          scoringSeconds: scoringSeconds)
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
