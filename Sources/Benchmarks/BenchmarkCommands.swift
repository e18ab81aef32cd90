import Foundation
import LibraryScanner
import Model
import Scoring

// The entry points of the `bench …` commands and of the data-set modes of `train` and `evaluate`: each takes the
// options as the user gave them (folders as typed, a `ConfigRequest`) and turns every failure into a `TunescoreError`,
// so the command line only parses and prints.

/// What a benchmark run gives the command line to print.
public struct BenchmarkOutput: Sendable {
    /// The result, printed as JSON.
    public var report: any Encodable & Sendable
    /// A table for people, when the benchmark has one: printed instead of the JSON unless JSON was asked for.
    public var table: String?

    init(_ report: any Encodable & Sendable, table: String? = nil) {
        self.report = report
        self.table = table
    }
}

/// CIFAR-10 one-class: `train` without `--liked`, `bench cifar10`, and `evaluate` with a checkpoint.
public enum CIFAR10OneClass {
    /// `tunescore train` without `--liked`: trains the config's data set, data-parallel when asked.
    /// - Throws: `TunescoreError`; stopped (exit 130) when a signal ended the training.
    public static func train(config request: ConfigRequest, epochs: Int?, resume: Bool, distributed: DistributedLaunch,
                             say: @escaping @Sendable (String) -> Void) throws(TunescoreError) -> RunEnd<[String]> {
        let config = try request.load(for: .training, overrides: ConfigOverrides(epochs: epochs))
        // After the config check: a config error is reported once, not by every rank.
        if let status = try distributed.runLocalRanks(say: say) { return .localRanks(status: status) }
        let group = try distributed.join(configJSON: config.json())
        let stopper = StopOnSignal(say: say)
        let result = try reporting {
            let log = try TrainingLog.forRank(of: group, directory: config.effectiveLogDirectory, config: config)
            let experiment = OneClassExperiment(config: config, data: try OneClassData.cifar10(config: config), group: group)
            return try experiment.train(resume: resume, log: log) { stopper.stops($0) }.0
        }
        if result.wasStopped {
            throw TunescoreError(.stopped, problem: "stopped; \(result.lastCheckpoint.path) holds epoch \(result.epochsCompleted)",
                                 remedy: "continue with --resume")
        }
        var lines = ["trained \(result.epochsCompleted) epochs in \(String(format: "%.1f", result.trainingSeconds)) s "
            + "(\(String(format: "%.1f", result.itemsPerSecond)) items/s); best: \(result.bestCheckpoint.path)"]
        if let group { lines.append("rank \(group.rank) of worldSize \(group.worldSize): paramChecksum \(result.parameterChecksum)") }
        return .finished(lines)
    }

    /// `tunescore bench cifar10`: trains one class of the data in `data` from scratch and reports its AUROCs and speed.
    public static func benchmark(data: String, targetClass: Int?, epochs: Int?, config request: ConfigRequest,
                                 distributed: DistributedLaunch, say: (String) -> Void) throws(TunescoreError) -> RunEnd<OneClassReport> {
        let overrides = ConfigOverrides(epochs: epochs, dataset: .cifar10, dataPath: data, targetClass: targetClass)
        let config = try request.load(for: .training, overrides: overrides)
        if let status = try distributed.runLocalRanks(say: say) { return .localRanks(status: status) }
        let group = try distributed.join(configJSON: config.json())
        return .finished(try reporting {
            let experiment = OneClassExperiment(config: config, data: try OneClassData.cifar10(config: config), group: group)
            return try experiment.benchmark(log: try TrainingLog.forRank(of: group, directory: config.effectiveLogDirectory, config: config))
        })
    }
}

/// `tunescore evaluate` with a CIFAR-10 checkpoint: one image, or the whole test set.
public struct CIFAR10Evaluation {
    /// The checkpoint file.
    public let checkpoint: String
    let experiment: OneClassExperiment<ImageSource>
    let network: CSINetwork
    let epoch: Int

    /// Loads `checkpoint` (nil: the config's `score_checkpoint` in its checkpoint folder) and the data it was trained on.
    /// - Throws: `TunescoreError`: usage for a bad config, failure when the checkpoint or data cannot be read.
    public init(config request: ConfigRequest, checkpoint: String?) throws(TunescoreError) {
        let inspected = try request.load(for: .inspection)
        let path = checkpoint ?? (inspected.effectiveCheckpointDirectory as NSString).appendingPathComponent(inspected.scoringCheckpointFile)
        let config = try request.load(for: .evaluation, overrides: ConfigOverrides(checkpointPath: path))
        (network, epoch) = try reporting(path) { let (network, meta) = try Checkpoint.load(from: URL(fileURLWithPath: path)); return (network, meta.epoch) }
        experiment = try reporting { OneClassExperiment(config: config, data: try OneClassData.cifar10(config: config)) }
        self.checkpoint = path
    }

    /// One PNG image's scores: the JSON fields (`json`) and the line for people (`line`).
    public func image(_ file: String) throws(TunescoreError) -> (json: [String: String], line: String) {
        let test = experiment.data.test.images
        let images = try reporting(file) { try ImageSet.png(at: file, height: test.height, width: test.width) }
        let scores = try reporting { try experiment.scores(of: images, network: network) }
        let (csi, norm) = (String(format: "%.4f", scores.csi[0]), String(format: "%.4f", scores.norm[0]))
        let className = experiment.data.className
        // CSI divides each term by its mean over the training images, so a typical training image scores about 2.
        return (["file": file, "checkpoint": checkpoint, "class": className, "csi": csi, "norm": norm],
                "\(file) as '\(className)': csi \(csi) (training images average about 2; lower = more novel), norm \(norm)")
    }

    /// The test set's AUROCs: the JSON fields (`json`) and the lines for people (`lines`).
    public func dataset() throws(TunescoreError) -> (json: [String: String], lines: [String]) {
        let aurocs = try reporting { try experiment.aurocs(of: network) }
        let (norm, csi) = (formatted(aurocs.norm), formatted(aurocs.csi))
        let (similarity, shift) = (formatted(aurocs.similarity), formatted(aurocs.shift))
        return (["checkpoint": checkpoint, "epoch": "\(epoch)", "auroc_norm": norm, "auroc_csi": csi,
                 "auroc_similarity": similarity, "auroc_shift": shift],
                ["checkpoint \(checkpoint) (epoch \(epoch))", "AUROC norm \(norm)",
                 "AUROC csi  \(csi) (similarity term \(similarity), shift term \(shift))"])
    }

    /// An optional AUROC with four decimals, "n/a" when there is none.
    private func formatted(_ value: Double?) -> String {
        value.map { String(format: "%.4f", $0) } ?? "n/a"
    }
}

extension GenresBenchmark {
    /// What `tunescore bench genres` was asked to run.
    public struct Request: Sendable {
        public var data: String
        public var liked: String
        public var epochs: Int?
        public var config: ConfigRequest
        public var cacheFolder: String?
        public var repeats: Int
        public var splits: Int
        public var resume: Bool
        public var background: BackgroundLoad.Kind?
        public var dislikes: Int
        public var distributed: DistributedLaunch

        /// The request, option by option.
        public init(data: String, liked: String, epochs: Int?, config: ConfigRequest, cacheFolder: String?, repeats: Int, splits: Int,
                    resume: Bool, background: BackgroundLoad.Kind?, dislikes: Int, distributed: DistributedLaunch) {
            self.data = data
            self.liked = liked
            self.epochs = epochs
            self.config = config
            self.cacheFolder = cacheFolder
            self.repeats = repeats
            self.splits = splits
            self.resume = resume
            self.background = background
            self.dislikes = dislikes
            self.distributed = distributed
        }

        /// Several runs (seeds, splits or styles) rather than one.
        public var isSeries: Bool { repeats > 1 || splits > 1 || liked == GenresBenchmark.allStyles }
    }

    /// `tunescore bench genres`: one run, a series of runs, or every style in turn.
    public static func run(_ request: Request, say: @escaping @Sendable (String) -> Void) throws(TunescoreError) -> RunEnd<BenchmarkOutput> {
        let overrides = ConfigOverrides(epochs: request.epochs, dataset: .genres, dataPath: request.data)
        let config = try request.config.load(for: .training, overrides: overrides, defaults: RunConfig.musicPreset())
        if let status = try request.distributed.runLocalRanks(say: say) { return .localRanks(status: status) }
        let group = try request.distributed.join(configJSON: config.json())
        if group != nil && request.isSeries {
            throw TunescoreError(.usage, problem: "a distributed launch trains one run; it does not combine with --repeats, --splits or --liked all")
        }
        let styles = try reporting(request.data) { try MusicCollection.styles(in: RawPath(request.data)) }
        let pcm = try reporting(request.cacheFolder) {
            try PCMCache(folder: request.cacheFolder ?? PCMCache.defaultFolder(), sampleRate: config.sampleRate)
        }
        let benchmark = GenresBenchmark(config: config, styles: styles, cache: pcm, dislikes: request.dislikes)
        if request.liked != allStyles, let style = benchmark.unknownStyles(in: request.liked).first {
            throw TunescoreError(.usage, subject: "--liked \(request.liked)", problem: "no style '\(style)' in \(request.data)",
                                 remedy: "styles there: \(styles.keys.sorted().joined(separator: ", ")) (or all)")
        }
        return .finished(try reporting {
            try BackgroundLoad.running(beside: request.background) {
                try benchmark.output(of: request, config: config, group: group, say: say)
            }
        })
    }

    /// Runs what `request` asks for with this benchmark.
    private func output(of request: Request, config: RunConfig, group: ProcessGroup?,
                        say: @escaping @Sendable (String) -> Void) throws -> BenchmarkOutput {
        if request.liked == GenresBenchmark.allStyles {
            let report = try everyStyle(splits: request.splits, say: say)
            return BenchmarkOutput(report, table: report.table())
        }
        var experiment = experiment(liked: request.liked)
        experiment.group = group
        if let group, !group.isLeader {
            return BenchmarkOutput(try experiment.trainAsFollower(resume: request.resume, say: say))
        }
        if request.isSeries {
            let series = MusicSeries(experiment: experiment, runs: max(request.repeats, request.splits),
                                     resplit: request.splits > 1 ? split(liked: request.liked) : nil)
            return BenchmarkOutput(try series.run(say: say))
        }
        let log = try TrainingLog(directory: config.effectiveLogDirectory, config: config)
        return BenchmarkOutput(try experiment.run(log: log, resume: request.resume, say: say))
    }
}

extension MTTBenchmark {
    /// The five genres' names, as `--target-class` takes them.
    public static var genreNames: [String] { MTTClass.allCases.map(\.name) }

    /// The genre `text` names (0-4 or its name), nil for none.
    public static func genre(_ text: String) -> Int? {
        (Int(text).flatMap(MTTClass.init(rawValue:)) ?? MTTClass(name: text))?.rawValue
    }

    /// `tunescore bench mtt`: one genre of the MagnaTagATune folder `data` against the others.
    public static func run(data: String, targetClass: String?, epochs: Int?, config request: ConfigRequest, cacheFolder: String?,
                           say: @escaping @Sendable (String) -> Void) throws(TunescoreError) -> MusicReport {
        let overrides = ConfigOverrides(epochs: epochs, dataset: .mtt, dataPath: data, targetClass: targetClass.flatMap(genre))
        let config = try request.load(for: .training, overrides: overrides, defaults: RunConfig.musicPreset())
        return try reporting { try run(config: config, cacheFolder: cacheFolder ?? PCMCache.defaultFolder(), say: say) }
    }
}

extension FeatureBenchmark {
    /// `tunescore bench features`: the first `limit` tracks of `folders` (all when nil), decoded and turned into log-mels.
    public static func run(folders: [String], limit: Int?, config request: ConfigRequest, threads: Int) throws(TunescoreError) -> Report {
        let config = try request.load(for: .inspection, defaults: RunConfig.musicPreset())
        var tracks = MusicCollection.tracks(in: folders.map(RawPath.init)).tracks
        if let limit { tracks = Array(tracks.prefix(limit)) }
        if tracks.isEmpty { throw TunescoreError(.usage, subject: folders.joined(separator: ", "), problem: "no audio files") }
        return try reporting { try run(tracks: tracks, config: config, threads: threads) }
    }
}

extension AugmentationBenchmark {
    /// `tunescore bench augment`: the data-side cost of music training under the config `request` gives.
    public static func run(config request: ConfigRequest, excerpts: Int) throws(TunescoreError) -> Report {
        let config = try request.load(for: .inspection, defaults: RunConfig.musicPreset())
        return try reporting { try run(config: config, excerpts: excerpts) }
    }
}

extension ScoringBenchmark {
    /// `tunescore bench score`: scoring speed of `model` on `folders`, beside a `background` load when given.
    public static func run(model: ModelChoice, folders: [String], background: BackgroundLoad.Kind? = nil) throws(TunescoreError) -> Report {
        let taste = try model.load()
        return try reporting {
            try BackgroundLoad.running(beside: background) { try run(model: taste, folders: folders.map(RawPath.init)) }
        }
    }
}

extension ScanBenchmark {
    /// `tunescore bench scan`: a library of `files` copies of the files below `folders` (tones when empty).
    public static func run(files: Int, from folders: [String]) throws(TunescoreError) -> Report {
        try reporting { try run(files: files, from: folders.map { RawPath($0).absolute }) }
    }
}

extension StepBenchmark {
    /// `tunescore bench step`: model-only throughput of the network these options describe.
    public static func run(architecture: String, scale: Int, channels: Int, size: Int, shifts: Int, batchSize: Int,
                           steps: Int) throws(TunescoreError) -> StepBenchmark {
        let spec = NetworkSpec(architecture: architecture, scale: scale, inputChannels: channels, inputHeight: size,
                               inputWidth: size, numShifts: shifts)
        return try reporting { try run(spec: spec, batchSize: batchSize, steps: steps) }
    }
}

/// `tunescore bench allreduce`: all-reduce speed on a data-parallel group.
public enum AllReduceRun {
    /// Times `repeats` all-reduces of each size in `floats` on the group `distributed` starts or joins.
    /// - Throws: `TunescoreError` (usage) when there is no group to run on.
    public static func run(floats: [Int], repeats: Int, distributed: DistributedLaunch,
                           say: (String) -> Void) throws(TunescoreError) -> RunEnd<AllReduceBenchmark> {
        if let status = try distributed.runLocalRanks(say: say) { return .localRanks(status: status) }
        guard let group = try distributed.join(configJSON: "bench allreduce \(floats) \(repeats)") else {
            throw TunescoreError(.usage, problem: "bench allreduce needs a group",
                                 remedy: "--nproc N, or RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT")
        }
        return .finished(try reporting { try AllReduceBenchmark.run(group: group, floats: floats, repeats: repeats) })
    }
}

extension ExpectedTracks {
    /// Measures `tracks` (ranked best first) against the tracks below `folders`, as the user typed them.
    public init?(ranked tracks: [ScoredTrack], expectedFolders folders: [String]) {
        self.init(ranked: tracks, expected: folders.map { RawPath($0).absolute })
    }
}

/// `tunescore bench describe`: every track's raw descriptor (timbre, spectral shape, dynamics, rhythm) as JSON lines,
/// for experiments and for building a descriptor space.
public enum DescriptorListing {
    /// One JSON object per track `pretraining` describes; `say` hears which files were skipped.
    public static func jsonLines(of pretraining: DescriptorPretraining, say: (String) -> Void) throws(TunescoreError) -> [String] {
        let described = try pretraining.describe(say: say)
        let encoder = JSONEncoder()
        return try reporting { try described.map { String(decoding: try encoder.encode($0), as: UTF8.self) } }
    }
}
