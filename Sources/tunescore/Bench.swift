import ArgumentParser
import Benchmarks
import Foundation
import Scoring

extension Tunescore {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measures speed and accuracy; prints JSON with --json.",
            subcommands: [CIFAR10Benchmark.self, Genres.self, BenchMTT.self, BenchScore.self, BenchScan.self, BenchFeatures.self, BenchDescribe.self, BenchAugment.self, Step.self, AllReduce.self]
        )
    }
}

extension Tunescore.Bench {
    struct CIFAR10Benchmark: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cifar10",
            abstract: "CIFAR-10 one-class benchmark: trains on one class, tests on all 10000 test images.")

        @Option(help: "Folder holding cifar-10-batches-bin (the CIFAR-10 binary version from its website, unpacked).")
        var data: String

        @OptionGroup var options: ConfigOptions

        @Option(help: "In-distribution class, 0-9 (0 = airplane).")
        var targetClass: Int?

        @OptionGroup var bench: TrainingBenchOptions
        @OptionGroup var distributed: DistributedOptions

        func run() throws {
            let report = try result(of: CIFAR10OneClass.benchmark(data: data, targetClass: targetClass, epochs: bench.epochs,
                                                                  config: options.request, distributed: distributed.launch, say: printError))
            try printReport(report, json: bench.json)
        }
    }

    struct Genres: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Music one-class benchmark: train on 70% of one style's tracks, test on the rest and every other style.",
            discussion: "--liked all runs every style in turn as the liked music (with --splits N each) and prints one table: the track AUROC of the score `tunescore score` ranks by against each other style and all of them, precision at 10 and training seconds per liked style, then the mean over styles.")

        @Option(help: "Folder with one sub-folder per style.")
        var data: String

        @Option(help: "The style (sub-folder) that plays the liked music, several joined by '+' for a taste of several styles (the rest are the outliers), or 'all' for every style in turn.")
        var liked: String

        @OptionGroup var options: ConfigOptions
        @OptionGroup var bench: TrainingBenchOptions

        @Option(help: "Audio cache folder (default: $XDG_CACHE_HOME/tunescore/pcm).")
        var cache: String?

        @Option(help: "Runs on the same split, the network seed counting up from the config's; more than 1 reports every run and the mean, min and max track AUROC.")
        var repeats = 1

        @Option(help: "Runs on this many seeded splits (the split and network seed counting up from the config's); more than 1 reports every run and the mean, min and max track AUROC.")
        var splits = 1

        @Flag(help: "Continue from log_dir's last.pt instead of training anew; a finished run is only scored again (with --set score_checkpoint=last, say).")
        var resume = false

        @Option(help: "Run beside two busy loops (one per core), at nice 19 (background jobs) or nice 0 (another program in use): training speed on a machine that is doing something else.")
        var background: BackgroundLoad.Kind?

        @Option(help: "Give the model this many seeded outlier tracks as known dislikes (`train --disliked`); they leave the test set. The JSON's likedOnly is the score without them on the same tracks.")
        var dislikes = 0

        @OptionGroup var distributed: DistributedOptions

        func validate() throws {
            if resume && (repeats > 1 || splits > 1 || liked == GenresBenchmark.allStyles) {
                throw ValidationError("--resume continues one run; it does not combine with --repeats, --splits or --liked all")
            }
            if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
            if splits < 1 { throw ValidationError("--splits must be at least 1") }
            if dislikes < 0 { throw ValidationError("--dislikes must be 0 or more") }
            if repeats > 1 && (splits > 1 || liked == GenresBenchmark.allStyles) {
                throw ValidationError("--repeats (one split, several seeds) and --splits (a split per seed) or --liked all do not combine")
            }
            if distributed.nproc != nil && (repeats > 1 || splits > 1 || liked == GenresBenchmark.allStyles) {
                throw ValidationError("--nproc trains one run; it does not combine with --repeats, --splits or --liked all")
            }
        }

        func run() throws {
            let request = GenresBenchmark.Request(data: data, liked: liked, epochs: bench.epochs, config: options.request, cacheFolder: cache,
                                                  repeats: repeats, splits: splits, resume: resume, background: background,
                                                  dislikes: dislikes, distributed: distributed.launch)
            let output = try result(of: GenresBenchmark.run(request, say: printError))
            if let table = output.table, !bench.json {
                print(table)
                return
            }
            try printReport(output.report, json: bench.json)
            if let table = output.table { printError(table) }
        }
    }

    struct AllReduce: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "allreduce",
            abstract: "Seconds one gradient all-reduce of each size takes on a data-parallel group (c10d, Gloo).",
            discussion: "Needs a group: --nproc N here, or torchrun's RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT on each rank.")

        @Option(parsing: .upToNextOption, help: ArgumentHelp("Message sizes in floats (a model's parameter count).", valueName: "n"))
        var floats: [Int] = [1_000_000, 11_200_000]

        @Option(help: "All-reduces timed per size, after one warm-up.")
        var repeats = 10

        @OptionGroup var distributed: DistributedOptions

        func validate() throws {
            guard !floats.isEmpty, floats.allSatisfy({ $0 > 0 }), repeats > 0 else { throw ValidationError("--floats and --repeats must be positive") }
        }

        func run() throws {
            let report = try result(of: AllReduceRun.run(floats: floats, repeats: repeats, distributed: distributed.launch, say: printError))
            try printReport(report, json: true)
        }
    }

    struct Step: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Model-only training and inference throughput on a random batch.")

        @Option(help: "Architecture: resnet, efficientnet or small_resnet.") var architecture = "small_resnet"
        @Option(help: "Model scale (resnet 0-5, efficientnet 0-8, small_resnet 0-2).") var scale = 1
        @Option(help: "Input channels.") var channels = 3
        @Option(help: "Input height and width.") var size = 32
        @Option(help: "Shifts per view (duplication_factor, 1-4).") var shifts = 4
        @Option(help: "Items per batch (each becomes 2 x shifts inputs).") var batchSize = 32
        @Option(help: "Steps to time.") var steps = 10
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard (1...4).contains(shifts) else { throw ValidationError("--shifts must be 1-4") }
            guard steps > 0, batchSize > 0, size > 0, channels > 0 else { throw ValidationError("--steps, --batch-size, --size and --channels must be positive") }
        }

        func run() throws {
            let report = try StepBenchmark.run(architecture: architecture, scale: scale, channels: channels, size: size, shifts: shifts,
                                               batchSize: batchSize, steps: steps)
            try printReport(report, json: json)
        }
    }
}

/// Options of the benchmarks that train: epochs and JSON output.
struct TrainingBenchOptions: ParsableArguments {
    @Option(help: "Epochs (overrides the config).")
    var epochs: Int?

    @Flag(help: "Print JSON.")
    var json = false
}

/// Prints a benchmark result as pretty JSON (always JSON: --json only decides compact vs pretty).
func printReport(_ value: any Encodable, json: Bool) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = json ? [.sortedKeys] : [.sortedKeys, .prettyPrinted]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

extension BackgroundLoad.Kind: ExpressibleByArgument {}

