import ArgumentParser
import Benchmarks
import Foundation
import Scoring

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
        @OptionGroup var database: LibraryOptions

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
            let lines: [String]
            if liked.isEmpty {
                if !disliked.isEmpty { throw ValidationError("--disliked goes with --liked") }
                lines = try result(of: CIFAR10OneClass.train(config: options.request, epochs: epochs, resume: resume,
                                                             distributed: distributed.launch, say: printError))
            } else {
                let training = LikedMusicTraining(liked: liked, disliked: disliked, model: ModelChoice(name), config: options.request,
                                                  epochs: epochs, library: database.library, cacheFolder: cache, resume: resume,
                                                  distributed: distributed.launch)
                lines = try result(of: training.run(watchScan: ScanObserver.progressBar, say: printError))
            }
            for line in lines { print(line) }
        }
    }
}
