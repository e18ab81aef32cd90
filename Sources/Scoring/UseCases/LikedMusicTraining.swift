import Foundation
import LibraryScanner
import Model

/// `tunescore train --liked`: fits a taste model to the music below some folders (and, with `taste_score` `csi` or
/// `blend`, trains its network).
public struct LikedMusicTraining: Sendable {
    /// Folders of music the user likes.
    public var liked: [String]
    /// Folders of music the user skipped (known dislikes).
    public var disliked: [String]
    /// The model's name or folder.
    public var model: ModelChoice
    /// The config on top of the built-in music settings.
    public var config: ConfigRequest
    /// `--epochs`.
    public var epochs: Int?
    /// The library database the folders are scanned into.
    public var library: Library
    /// The decoded-audio cache folder; nil for the default.
    public var cacheFolder: String?
    /// Continue from `last.pt`.
    public var resume: Bool
    /// Data-parallel training, if asked for.
    public var distributed: DistributedLaunch

    /// A training of `liked` (and `disliked`) into `model`.
    public init(liked: [String], disliked: [String], model: ModelChoice, config: ConfigRequest, epochs: Int?, library: Library,
                cacheFolder: String?, resume: Bool, distributed: DistributedLaunch) {
        self.liked = liked
        self.disliked = disliked
        self.model = model
        self.config = config
        self.epochs = epochs
        self.library = library
        self.cacheFolder = cacheFolder
        self.resume = resume
        self.distributed = distributed
    }

    /// Scans the folders, decodes and describes the tracks, writes the model; `watchScan` makes an observer for each
    /// scan, `say` narrates on standard error.
    /// - Throws: `TunescoreError`: usage for a bad config, failure when nothing readable was found or the work fails,
    ///   stopped when a signal ended the training.
    public func run(watchScan: () -> ScanObserver, say: @escaping @Sendable (String) -> Void) throws(TunescoreError) -> RunEnd<[String]> {
        let folder = model.folder
        let overrides = ConfigOverrides(epochs: epochs, dataset: .custom, dataPath: RawPath(liked[0]).absolute.displayString,
                                        logDirectory: folder.path)
        let config = try config.load(for: .training, overrides: overrides, defaults: RunConfig.musicPreset())
        if let status = try distributed.runLocalRanks(say: say) { return .localRanks(status: status) }
        let group = try distributed.join(configJSON: config.json())
        let catalog = try library.openCatalog()
        let tracks = try scan(liked, into: catalog, observer: watchScan())
        guard !tracks.isEmpty else {
            throw TunescoreError(.failure, subject: liked.joined(separator: ", "), problem: "no readable audio",
                                 remedy: "`tunescore scan --failures` lists what could not be read")
        }
        let dislikedTracks = disliked.isEmpty ? [] : try scan(disliked, into: catalog, observer: watchScan())
        let pcm = try reporting(cacheFolder) { try PCMCache(folder: cacheFolder ?? PCMCache.defaultFolder(), sampleRate: config.sampleRate) }
        var training = TasteTraining(config: config, tracks: tracks, disliked: dislikedTracks, cache: pcm, folder: folder)
        training.group = group
        if let group, !group.isLeader {
            let report = try reporting { try training.trainAsFollower(resume: resume, say: say) }
            return .finished(["rank \(report.rank) of worldSize \(report.worldSize): paramChecksum \(report.paramChecksum)"])
        }
        let stopper = StopOnSignal(say: say)
        let outcome: TasteTraining.Outcome
        do {
            outcome = try training.run(log: try TrainingLog(directory: folder.path, config: config), resume: resume,
                                       say: say, hook: { stopper.stops($0) })
        } catch let stopped as TrainingStopped {
            throw TunescoreError(.stopped, problem: "\(stopped)")
        } catch {
            throw TunescoreError.failure(error)
        }
        return .finished(report(of: outcome, in: folder, group: group))
    }

    /// The usable tracks below `folders`, after bringing the catalog up to date with them.
    private func scan(_ folders: [String], into catalog: TrackCatalog, observer: ScanObserver) throws(TunescoreError) -> [AudioTrack] {
        let (tracks, summary) = try reporting(library.path) {
            try MusicCollection.scanned(folders.map(RawPath.init), catalog: catalog, progress: observer.progress)
        }
        observer.finished(summary)
        return tracks
    }

    /// What `train` prints when it is done.
    private func report(of outcome: TasteTraining.Outcome, in folder: URL, group: ProcessGroup?) -> [String] {
        let name = model.name
        var lines: [String] = []
        if let result = outcome.result {
            lines.append("model '\(name)': \(outcome.trainTracks) tracks trained, \(outcome.validationTracks) held out; "
                + "\(result.epochsCompleted) epochs in \(String(format: "%.0f", result.trainingSeconds)) s "
                + "(\(String(format: "%.1f", result.itemsPerSecond)) excerpts/s); fit calibrated on \(outcome.profile.calibrationSource) tracks")
        } else {
            let dislikes = outcome.profile.dislikedEmbeddings?.count ?? 0
            lines.append("model '\(name)': \(outcome.trainTracks) liked tracks described" + (dislikes > 0 ? ", \(dislikes) disliked" : "")
                + "; fit calibrated on \(outcome.profile.calibrationSource)")
        }
        lines.append("saved in \(folder.path); next: tunescore score FOLDER --model \(name)")
        if let group, let result = outcome.result {
            lines.append("rank \(group.rank) of worldSize \(group.worldSize): paramChecksum \(result.parameterChecksum)")
        }
        return lines
    }
}
