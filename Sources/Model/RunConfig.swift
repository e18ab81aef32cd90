import Features
import Foundation

/// Everything a training or evaluation run is told, read from a JSON file with the seed's keys
/// (plus a few of our own) and checked before any work starts.
///
/// Every key has a default, so a partial file works. Relative paths in a file are resolved against
/// that file's folder (so a config keeps working from any current directory); relative paths given
/// as overrides, and the defaults, are resolved against the current directory. After loading every
/// path is absolute.
public struct RunConfig: Sendable {
    /// The data set to train or evaluate on.
    public enum DatasetName: String, CaseIterable, Sendable {
        case cifar10, mtt, custom, genres
    }
    /// The network family; `model_scale` picks its size.
    public enum ModelName: String, CaseIterable, Sendable {
        case resnet, efficientnet
        case smallResNet = "small_resnet"
    }
    /// Which augmentation pipeline the items go through.
    public enum Transforms: String, CaseIterable, Sendable {
        case image, audio
    }
    /// What CSI's shifts do to audio: the reference's noise levels, or flips of the log-mel image
    /// (frequency, time, both: the spectrogram's counterpart of the image rotations).
    public enum AudioShiftKind: String, CaseIterable, Sendable {
        case noise, flip
        /// Flips with time first: k=1 time reversal, 2 frequency flip, 3 both.
        case flipTime = "flip_time"
    }
    /// Which of CSI's two terms make its score: both (the paper), or the shift term alone.
    public enum CSITerms: String, CaseIterable, Sendable {
        case both, shift
    }
    /// What a taste model ranks new music by.
    public enum TasteScore: String, CaseIterable, Sendable, Codable {
        /// Mean cosine to the nearest liked tracks in the descriptor space; no network is trained.
        case descriptor
        /// The CSI score of a network trained on the liked tracks (`csi_terms`).
        case csi
        /// Both, each standardised by the liked tracks' own scores, averaged.
        case blend

        /// Whether this ranking needs a trained network.
        public var needsNetwork: Bool { self != .descriptor }
    }
    /// Which checkpoint a finished run scores with: the lowest validation loss (`best.pt`) or the last epoch's.
    public enum ScoreCheckpoint: String, CaseIterable, Sendable {
        case best, last
    }
    /// The learning-rate schedule (the seed's "cosine" is a one-cycle warm-up plus cosine decay).
    public enum Scheduler: String, CaseIterable, Sendable {
        case cosine
    }
    /// What an evaluation scores: a whole data set, or one image or audio file.
    public enum EvaluationMode: String, CaseIterable, Sendable {
        case dataset, image, audio
    }
    /// Where the network runs; this build is CPU-only.
    public enum Device: String, CaseIterable, Sendable {
        case cpu
    }
    /// What a config is about to be used for; decides which paths must already exist.
    public enum Purpose: Sendable {
        /// `path_data` must exist (a folder), and `model_weights` when set.
        case training
        /// `path_data` must exist (a folder in dataset mode, a file otherwise), and `path_checkpoint`.
        case evaluation
        /// No path is checked (printing a config, tests).
        case inspection
    }

    public var datasetName = DatasetName.cifar10
    public var modelName = ModelName.resnet
    public var modelScale = 5
    /// `[height, width]` of the network input.
    public var inputImageSize = [32, 32]
    public var epochs = 1000
    public var batchSize = 32
    public var validationFraction = 0.1
    /// Checkpoint folder when training (nil: the log folder), checkpoint file when evaluating.
    public var checkpointPath: String? = nil
    public var learningRate = 0.01
    public var transforms = Transforms.image
    public var saveCheckpointEpochs = 1
    public var evalTestStep = 1
    public var optimizer = Optimizer.Kind.adamw
    public var lrScheduler: Scheduler? = .cosine
    public var weightDecay = 0.0
    /// nil: `effectiveLogDirectory` derives one from the run's settings.
    public var logDirectory: String? = nil
    public var isDeterministic = true
    public var seed = 213
    public var targetClass = 0
    public var duplicationFactor = 4
    public var modelWeights: String? = nil
    public var device = Device.cpu
    public var warmupEpochs = 10
    public var workerCount = 0
    public var dataPath = "data"
    public var datasetMean: [Double]? = nil
    public var datasetStd: [Double]? = nil
    /// The loss terms' weights (`loss_weights`) and the NT-Xent temperature (`temperature`).
    public var lossWeights = LossWeights()
    public var sampleRate = 16000
    public var sampleLength = 43740
    public var evaluationMode = EvaluationMode.dataset
    /// The NT-Xent temperature, kept with the loss weights the engine takes.
    public var temperature: Double {
        get { lossWeights.temperature }
        set { lossWeights.temperature = newValue }
    }
    public var momentum = 0.9
    public var evalSamples = 4
    public var evalAugment = true
    public var cropScaleMin = 0.08
    public var evalTrainItems = 0
    public var usesTwoCrops = false
    public var sharesShiftAugmentation = false
    public var audioShift = AudioShiftKind.noise
    public var csiTerms = CSITerms.both
    public var tasteScore = TasteScore.csi
    public var descriptorSpacePath: String? = nil
    public var excerptsPerTrack = 8
    public var epochItems = 0
    public var maxExcerptsPerTrack = 32
    public var audioAugmentations = AudioAugmentation.Step.allCases
    public var pitchShift = AudioAugmentation.PitchShift.native
    public var reverb = AudioAugmentation.Reverb.native
    public var prefetchBatches = true
    public var prefetchPriority = DataThreadPriority.idle
    public var scoreCheckpoint = ScoreCheckpoint.best

    /// Which source last set each key, so a cross-key error names the right file.
    var origins: [String: String] = [:]

    /// The defaults of every key (the seed's CIFAR-10 training config, on the CPU).
    public init() {}
}

// MARK: - Loading, overriding, writing

extension RunConfig {
    /// Reads and validates a config file; keys it leaves out keep their defaults.
    /// - Throws: `ConfigError` naming the file and the key at fault.
    public static func load(contentsOf url: URL, purpose: Purpose) throws(ConfigError) -> RunConfig {
        let name = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError(.unreadable, key: nil, source: name, message: "cannot read the file (\(error.localizedDescription))")
        }
        let source = ConfigSource(name: name, baseDirectory: url.deletingLastPathComponent())
        return try parse(data, source: source, purpose: purpose)
    }

    /// Parses config JSON text; relative paths are resolved against `baseDirectory`.
    /// - Throws: `ConfigError` naming `sourceName` and the key at fault.
    public static func parse(_ data: Data, sourceName: String, baseDirectory: URL, purpose: Purpose) throws(ConfigError) -> RunConfig {
        try parse(data, source: ConfigSource(name: sourceName, baseDirectory: baseDirectory), purpose: purpose)
    }

    static func parse(_ data: Data, source: ConfigSource, purpose: Purpose) throws(ConfigError) -> RunConfig {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            let place = JSONRead.location(in: data, of: error).map { " at \($0)" } ?? ""
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw ConfigError(.invalidJSON, key: nil, source: source.name, message: "not valid JSON\(place): \(detail)")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ConfigError(.invalidJSON, key: nil, source: source.name, message: "the top level must be a JSON object {…}")
        }
        var config = RunConfig()
        try config.apply(dictionary, from: source)
        try config.finish(for: purpose)
        return config
    }

    /// This config with `overrides` (key → JSON value, as JSONSerialization gives) applied and validated.
    /// Relative paths are resolved against the current directory. A `loss_weights` object may give
    /// only some weights; the others are kept.
    /// - Throws: `ConfigError` with source "command line".
    public func merging(_ overrides: [String: Any], purpose: Purpose) throws(ConfigError) -> RunConfig {
        var config = self
        try config.apply(overrides, from: .commandLine)
        try config.finish(for: purpose)
        return config
    }

    /// This config with `key=value` assignments applied (as a `--set` option would give them).
    /// The value is read as JSON when it parses (`5`, `null`, `[32,32]`, `"x"`), else as a bare
    /// string (`adamw`); `loss_weights.weight_sim=0.5` sets one nested weight.
    /// - Throws: `ConfigError` with source "command line".
    public func overriding(_ assignments: [String], purpose: Purpose) throws(ConfigError) -> RunConfig {
        var overrides: [String: Any] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw ConfigError(.invalidJSON, key: nil, source: "command line",
                                  message: "override '\(assignment)' is not of the form key=value")
            }
            let key = String(assignment[..<equals])
            let text = String(assignment[assignment.index(after: equals)...])
            let value = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) ?? text
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                var nested = overrides[parts[0]] as? [String: Any] ?? [:]
                nested[parts[1]] = value
                overrides[parts[0]] = nested
            } else {
                overrides[key] = value
            }
        }
        return try merging(overrides, purpose: purpose)
    }

    /// The effective config as pretty JSON in schema order, every key present and every path
    /// absolute, for saving beside a run's logs; loading it again gives the same config.
    public func json() -> String {
        let lines = RunConfig.schema.map { key in "  \(JSONValue.quoted(key.name)): \(effectiveValue(of: key).text)" }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    /// A Markdown table of every key: type, default, allowed values, meaning.
    public static func markdownTable() -> String {
        var rows = ["| key | type | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
        for key in schema {
            let cells = [key.name, key.type, key.defaultText, key.range, key.help]
                .map { $0.replacingOccurrences(of: "|", with: "\\|") }
            rows.append("| " + cells.map { $0.isEmpty ? " " : $0 }.joined(separator: " | ") + " |")
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// The folder a run writes logs, the event file and (by default) checkpoints to: `log_dir`, or
    /// `logs/<dataset>_<model>_scale<k>_lr<lr>` in the current directory when it is null (as the seed).
    public var effectiveLogDirectory: String {
        if let logDirectory { return logDirectory }
        let name = "\(datasetName.rawValue)_\(modelName.rawValue)_scale\(modelScale)_lr\(learningRate)"
        return ConfigSource.commandLine.resolve("logs/" + name)
    }

    /// The warm-up really used: `warmup_epochs`, but never longer than the run, so shortening a
    /// run with `--epochs` does not also need a new warm-up.
    public var effectiveWarmupEpochs: Int { min(warmupEpochs, epochs) }

    /// Where training writes checkpoints: `path_checkpoint`, else the log folder.
    public var effectiveCheckpointDirectory: String { checkpointPath ?? effectiveLogDirectory }

    /// Validates single values and stores them; unknown keys are all refused before any is applied.
    private mutating func apply(_ dictionary: [String: Any], from source: ConfigSource) throws(ConfigError) {
        let names = RunConfig.schema.map(\.name)
        for key in dictionary.keys.sorted() where !names.contains(key) {
            let suggestion = nearest(to: key, among: names)
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? "; `tunescore config --keys` lists the keys"
            throw ConfigError(.unknownKey(suggestion: suggestion), key: key, source: source.name, message: "unknown key\(hint)")
        }
        for key in RunConfig.schema {
            guard let raw = dictionary[key.name] else { continue }
            do {
                try key.apply(&self, raw, source)
            } catch let problem as ValueProblem {
                let name = problem.subkey.map { "\(key.name).\($0)" } ?? key.name
                throw ConfigError(problem.kind, key: name, source: source.name, message: problem.message)
            } catch {
                throw ConfigError(.wrongType, key: key.name, source: source.name, message: "\(error)")
            }
            origins[key.name] = source.name
        }
    }

    /// Fixes what later sources cannot change any more and runs the checks that span several keys.
    private mutating func finish(for purpose: Purpose) throws(ConfigError) {
        // Defaults are relative; pin them to the current directory now, so the effective
        // config records what was really used.
        let here = ConfigSource.commandLine
        dataPath = here.resolve(dataPath)
        if transforms == .audio && origins["input_img_size"] == nil {
            // The default [32, 32] is CIFAR's; audio that does not say gets the mel image of its excerpts.
            inputImageSize = melImageSize
        }
        do {
            try checkConsistency()
            try checkPaths(for: purpose)
        } catch let problem as KeyedProblem {
            throw ConfigError(problem.problem.kind, key: problem.key, source: origins[problem.key] ?? "defaults",
                              message: problem.problem.message)
        } catch {
            throw ConfigError(.wrongType, key: nil, source: "defaults", message: "\(error)")
        }
    }

    /// The value written by `json()`: the log folder is written as the one really used.
    private func effectiveValue(of key: ConfigKey) -> JSONValue {
        key.name == "log_dir" ? .string(effectiveLogDirectory) : key.value(self)
    }
}

/// A cross-key problem with the key it is reported under.
struct KeyedProblem: Error {
    let key: String
    let problem: ValueProblem

    init(_ key: String, _ kind: ConfigError.Kind, _ message: String) {
        self.key = key
        self.problem = ValueProblem(kind, message)
    }
}

// MARK: - Checks across keys

extension RunConfig {
    /// The number of classes of each data set, for `target_class`; nil = any class index.
    static func classCount(of dataset: DatasetName) -> Int? {
        switch dataset {
        case .cifar10: return 10
        case .mtt: return 5
        case .genres: return 3
        case .custom: return nil
        }
    }

    /// The largest `model_scale` of each network family.
    static func largestScale(of model: ModelName) -> Int {
        switch model {
        case .resnet: return 5
        case .efficientnet: return 8
        case .smallResNet: return 2
        }
    }

    /// [bands, frames] of the log-mel image of one `sample_len` excerpt.
    var melImageSize: [Int] { MelSpectrogram.imageSize(excerptLength: sampleLength) }

    /// Why `input_img_size` cannot take the mel images of `sample_len`, or nil when it can.
    var audioImageSizeProblem: String? {
        let mel = melImageSize
        guard inputImageSize != mel else { return nil }
        return "audio at sample_len \(sampleLength) gives \(mel[0]) x \(mel[1]) mel images; set input_img_size to [\(mel[0]), \(mel[1])]"
    }

    private func checkConsistency() throws {
        let largest = RunConfig.largestScale(of: modelName)
        if modelScale > largest {
            throw KeyedProblem("model_scale", .outOfRange, "must be in 0…\(largest) for \(modelName.rawValue), got \(modelScale)")
        }
        if let classes = RunConfig.classCount(of: datasetName), targetClass >= classes {
            throw KeyedProblem("target_class", .outOfRange,
                               "must be in 0…\(classes - 1) for \(datasetName.rawValue), got \(targetClass)")
        }
        let wanted: Transforms = datasetName == .cifar10 ? .image : .audio
        if transforms != wanted {
            throw KeyedProblem("transforms", .outOfRange, "must be \"\(wanted.rawValue)\" for \(datasetName.rawValue)")
        }
        if evaluationMode != .dataset && evaluationMode.rawValue != transforms.rawValue {
            throw KeyedProblem("evaluation_mode", .outOfRange,
                               "\"\(evaluationMode.rawValue)\" does not match transforms \"\(transforms.rawValue)\"")
        }
        // Checked here, not when the first excerpt is cut: a wrong size must stop the run before decoding starts.
        if transforms == .audio, let problem = audioImageSizeProblem {
            throw KeyedProblem("input_img_size", .outOfRange, problem)
        }
        let channels = transforms == .image ? 3 : 1
        for (name, values) in [("dataset_mean", datasetMean), ("dataset_std", datasetStd)] {
            if let values, values.count != channels {
                throw KeyedProblem(name, .outOfRange, "needs \(channels) number(s) for \(transforms.rawValue) input, got \(values.count)")
            }
        }
        if let std = datasetStd, std.contains(where: { $0 <= 0 }) {
            throw KeyedProblem("dataset_std", .outOfRange, "every value must be > 0")
        }
    }

    private func checkPaths(for purpose: Purpose) throws {
        switch purpose {
        case .inspection:
            return
        case .training:
            try requirePath("path_data", dataPath, isDirectory: true)
            if let modelWeights { try requirePath("model_weights", modelWeights, isDirectory: false) }
            if let descriptorSpacePath {
                try requirePath("descriptor_space", descriptorSpacePath, isDirectory: false)
                do { _ = try DescriptorSpace.load(from: descriptorSpacePath) } catch {
                    throw KeyedProblem("descriptor_space", .unreadable, "\(error)")
                }
            }
        case .evaluation:
            try requirePath("path_data", dataPath, isDirectory: evaluationMode == .dataset)
            guard let checkpointPath else {
                throw KeyedProblem("path_checkpoint", .missingPath, "evaluation needs the checkpoint to score with")
            }
            try requirePath("path_checkpoint", checkpointPath, isDirectory: nil)
        }
    }

    /// `isDirectory` nil: either kind will do.
    private func requirePath(_ key: String, _ path: String, isDirectory: Bool?) throws {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        let kind = isDirectory.map { $0 ? "folder" : "file" } ?? "path"
        var hint = ""
        if key == "path_data" && datasetName == .cifar10 && evaluationMode == .dataset {
            hint = "; to get CIFAR-10 unpack https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz into \(path) (it holds cifar-10-batches-bin)"
        }
        if key == "path_data" && datasetName == .mtt && evaluationMode == .dataset {
            hint = "; \(MTTError.layout)"
        }
        if key == "path_data" && datasetName == .mtt && evaluationMode == .dataset {
            hint = "; \(MTTError.layout)"
        }
        guard exists else { throw KeyedProblem(key, .missingPath, "no such \(kind) \(path)\(hint)") }
        if let isDirectory, isDirectory != isFolder.boolValue {
            throw KeyedProblem(key, .missingPath, "\(path) is not a \(kind)\(hint)")
        }
    }
}
