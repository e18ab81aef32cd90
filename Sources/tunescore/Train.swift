import ArgumentParser
import Benchmarks
import Foundation
import LibraryScanner
import Model

extension Tunescore {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trains a taste model on liked music (--liked), or a CSI model on the data set a config names.",
            discussion: """
                With --liked, the folders are scanned into the library database, decoded once into the audio cache, and a \
                model is trained with Configs/custom.json's settings (built in; --config and --set change them). The model \
                goes to $XDG_DATA_HOME/tunescore/models/NAME: best.pt, last.pt, profile.json, train.log, config.json.
                Without --liked, the config's data set (cifar10) is trained.
                """)

        @Option(parsing: .upToNextOption, help: ArgumentHelp("Folders of music you like.", valueName: "folder"))
        var liked: [String] = []

        @Option(parsing: .upToNextOption, help: ArgumentHelp("Folders of music you skipped: known dislikes lower the scores of tracks that sound like them.", valueName: "folder"))
        var disliked: [String] = []

        @Option(help: "Name of the taste model (a folder under $XDG_DATA_HOME/tunescore/models), or a folder path.")
        var name = "default"

        @OptionGroup var options: ConfigOptions
        @OptionGroup var library: LibraryOptions

        @Option(help: ArgumentHelp("Decoded-audio cache folder (default: $XDG_CACHE_HOME/tunescore/pcm).", valueName: "folder"))
        var cache: String?

        @Option(help: "Epochs (overrides the config's 'epochs').")
        var epochs: Int?

        @Flag(help: "Continue from last.pt in the checkpoint folder: epoch, optimiser and schedule.")
        var resume = false

        @OptionGroup var distributed: DistributedOptions

        func validate() throws {
            if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
            if name.isEmpty { throw ValidationError("--name must not be empty") }
            for (option, folders) in [("--liked", liked), ("--disliked", disliked)] {
                for folder in folders where !FileManager.default.fileExists(atPath: folder) {
                    throw ValidationError("\(option) \(folder): no such file or folder")
                }
            }
        }

        func run() throws {
            if liked.isEmpty {
                if !disliked.isEmpty { throw ValidationError("--disliked goes with --liked") }
                try trainDataset()
            } else {
                try trainTaste()
            }
        }

        private var epochOverride: [String: Any] { epochs.map { ["epochs": $0] } ?? [:] }

        private func trainTaste() throws {
            let folder = ModelStore.resolve(name)
            let config = try options.load(purpose: .training, extra: epochOverride.merging(["dataset_name": "custom", "log_dir": folder.path,
                                                                                          "path_data": RawPath(liked[0]).absolute.displayString]) { $1 },
                                          defaults: RunConfig.musicPreset())
            try distributed.launchRanksIfAsked()
            let group = try distributed.join(config: config)
            let catalog = try library.openCatalog()
            let bar = ProgressBar()
            let (tracks, summary) = try MusicCollection.scanned(liked.map(RawPath.init), catalog: catalog, progress: bar.update)
            bar.finish(summary)
            guard !tracks.isEmpty else {
                printError("no readable audio below \(liked.joined(separator: ", ")); `tunescore scan --failures` lists what could not be read")
                throw ExitCode(1)
            }
            var dislikedTracks: [AudioTrack] = []
            if !disliked.isEmpty {
                let bar = ProgressBar()
                let (found, summary) = try MusicCollection.scanned(disliked.map(RawPath.init), catalog: catalog, progress: bar.update)
                bar.finish(summary)
                dislikedTracks = found
            }
            let pcm = try PCMCache(folder: cache ?? PCMCache.defaultFolder(), sampleRate: config.sampleRate)
            var training = TasteTraining(config: config, tracks: tracks, disliked: dislikedTracks, cache: pcm, folder: folder)
            training.group = group
            if let group, !group.isLeader {
                let report = try training.trainAsFollower(resume: resume) { printError($0) }
                print("rank \(report.rank) of worldSize \(report.worldSize): paramChecksum \(report.paramChecksum)")
                return
            }
            let stopper = StopOnSignal()
            let outcome: TasteTraining.Outcome
            do {
                outcome = try training.run(log: try TrainingLog(directory: folder.path, config: config), resume: resume,
                                           say: { printError($0) }, hook: { stopper.stops($0) })
            } catch let stopped as TrainingStopped {
                printError("\(stopped)")
                throw ExitCode(130)
            }
            if let result = outcome.result {
                print("model '\(name)': \(outcome.trainTracks) tracks trained, \(outcome.validationTracks) held out; "
                    + "\(result.epochsCompleted) epochs in \(String(format: "%.0f", result.trainingSeconds)) s "
                    + "(\(String(format: "%.1f", result.itemsPerSecond)) excerpts/s); fit calibrated on \(outcome.profile.calibrationSource) tracks")
            } else {
                let dislikes = outcome.profile.dislikedEmbeddings?.count ?? 0
                print("model '\(name)': \(outcome.trainTracks) liked tracks described" + (dislikes > 0 ? ", \(dislikes) disliked" : "")
                    + "; fit calibrated on \(outcome.profile.calibrationSource)")
            }
            print("saved in \(folder.path); next: tunescore score FOLDER --model \(name)")
            if let group, let result = outcome.result {
                print("rank \(group.rank) of worldSize \(group.worldSize): paramChecksum \(result.parameterChecksum)")
            }
        }

        private func trainDataset() throws {
            let config = try options.load(purpose: .training, extra: epochOverride)
            // After the config check: a config error is reported once, not by every rank.
            try distributed.launchRanksIfAsked()
            let group = try distributed.join(config: config)
            let data = try OneClassData.cifar10(config: config)
            let log = try TrainingLog.forRank(of: group, directory: config.effectiveLogDirectory, config: config)
            let experiment = OneClassExperiment(config: config, data: data, group: group)
            let stopper = StopOnSignal()
            let (result, _) = try experiment.train(resume: resume, log: log) { stopper.stops($0) }
            if result.wasStopped {
                printError("stopped; \(result.lastCheckpoint.path) holds epoch \(result.epochsCompleted): continue with --resume")
                throw ExitCode(130)
            }
            print("trained \(result.epochsCompleted) epochs in \(String(format: "%.1f", result.trainingSeconds)) s "
                + "(\(String(format: "%.1f", result.itemsPerSecond)) items/s); best: \(result.bestCheckpoint.path)")
            if let group {
                print("rank \(group.rank) of worldSize \(group.worldSize): paramChecksum \(result.parameterChecksum)")
            }
        }
    }
}

/// Turns SIGINT and SIGTERM into a clean stop of a running trainer (checkpoints stay whole).
final class StopOnSignal: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    /// Stops `trainer` at its next step when a signal arrives; a second signal ends the process.
    func stops(_ trainer: Trainer) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                printError("stopping after this step (again to quit at once)")
                trainer.requestStop()
                for s in self.sources { s.cancel() }
                signal(SIGINT, SIG_DFL)
                signal(SIGTERM, SIG_DFL)
            }
            source.resume()
            sources.append(source)
        }
    }
}
