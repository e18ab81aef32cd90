import Foundation
import Model

/// The config a command asks for: a JSON file (or the command's defaults) and `--set key=value` assignments, as the
/// user typed them.
public struct ConfigRequest: Sendable {
    /// The JSON config file, nil for the command's defaults.
    public var file: String?
    /// `key=value` assignments, applied after the file.
    public var assignments: [String]

    /// A request for `file` (nil: the defaults) with `assignments` on top.
    public init(file: String? = nil, assignments: [String] = []) {
        self.file = file
        self.assignments = assignments
    }

    /// The effective config for `purpose`: `defaults` or the file, then the assignments, then `overrides` (what the
    /// command's own options say).
    /// - Throws: `TunescoreError` (usage) naming the source and the key at fault.
    public func load(for purpose: RunConfig.Purpose, overrides: ConfigOverrides = ConfigOverrides(),
                     defaults: RunConfig = RunConfig()) throws(TunescoreError) -> RunConfig {
        do {
            var config = try file.map { try RunConfig.load(contentsOf: URL(fileURLWithPath: $0), purpose: .inspection) } ?? defaults
            config = try config.overriding(assignments, purpose: .inspection)
            return try config.merging(overrides.values, purpose: purpose)
        } catch let error as ConfigError {
            throw .config(error)
        } catch {
            throw .failure(error)
        }
    }

    /// `tunescore config`: the effective config as JSON, every default filled in.
    public func effectiveJSON() throws(TunescoreError) -> String {
        try load(for: .inspection).json()
    }

    /// `tunescore config --keys`: the Markdown table of every key.
    public static var keyTable: String { RunConfig.markdownTable() }
}

/// Config values a command's own options set (`--epochs`, `--data`, a model's folder), applied after the file and
/// `--set`. Each is typed; nil leaves the key as the file and `--set` made it.
public struct ConfigOverrides: Sendable {
    /// `epochs`.
    public var epochs: Int?
    /// `dataset_name`.
    public var dataset: RunConfig.DatasetName?
    /// `path_data`: the data set's folder or file.
    public var dataPath: String?
    /// `log_dir`: where a run writes logs and checkpoints.
    public var logDirectory: String?
    /// `path_checkpoint`.
    public var checkpointPath: String?
    /// `target_class`.
    public var targetClass: Int?

    /// Overrides of the keys given.
    public init(epochs: Int? = nil, dataset: RunConfig.DatasetName? = nil, dataPath: String? = nil, logDirectory: String? = nil,
                checkpointPath: String? = nil, targetClass: Int? = nil) {
        self.epochs = epochs
        self.dataset = dataset
        self.dataPath = dataPath
        self.logDirectory = logDirectory
        self.checkpointPath = checkpointPath
        self.targetClass = targetClass
    }

    /// The overrides as `RunConfig.merging` takes them: key → JSON value, only the keys set.
    var values: [String: Any] {
        let entries: [(String, Any?)] = [("epochs", epochs), ("dataset_name", dataset?.rawValue), ("path_data", dataPath),
                                         ("log_dir", logDirectory), ("path_checkpoint", checkpointPath), ("target_class", targetClass)]
        return Dictionary(uniqueKeysWithValues: entries.compactMap { key, value in value.map { (key, $0) } })
    }
}
