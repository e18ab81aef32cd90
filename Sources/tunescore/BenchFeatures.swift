import ArgumentParser
import Benchmarks
import Foundation
import Scoring

extension Tunescore.Bench {
    struct BenchFeatures: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "features",
            abstract: "Feature extraction speed: decode → mono → sample_rate → log-mel of whole tracks, no cache.")

        @Argument(help: ArgumentHelp("Folders of music to read.", valueName: "folder"))
        var folders: [String]

        @Option(help: "Read at most this many tracks (in file order).")
        var limit: Int?

        @Option(help: "Worker threads (default: the cores available).")
        var threads: Int?

        @OptionGroup var options: ConfigOptions

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if folders.isEmpty { throw ValidationError("name at least one folder of music") }
            if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
            if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
        }

        func run() throws {
            let report = try FeatureBenchmark.run(folders: folders, limit: limit, config: options.request,
                                                  threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            try printReport(report, json: json)
        }
    }
}

extension Tunescore.Bench {
    struct BenchAugment: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "augment",
            abstract: "Data-side cost of music training: milliseconds of one thread per excerpt for the log-mel, each augmentation step and a whole training item.")

        @Option(help: "Excerpts to time per measurement.")
        var excerpts = 64

        @OptionGroup var options: ConfigOptions

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if excerpts <= 0 { throw ValidationError("--excerpts must be positive") }
        }

        func run() throws {
            try printReport(try AugmentationBenchmark.run(config: options.request, excerpts: excerpts), json: json)
        }
    }
}

extension Tunescore.Bench {
    struct BenchDescribe: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "describe",
            abstract: "Writes every track's raw descriptor (timbre, spectral shape, dynamics, rhythm) and patch code (the descriptor space's codebook) as JSON lines, for experiments.")

        @OptionGroup var music: MusicFolders

        func run() throws {
            for line in try DescriptorListing.jsonLines(of: music.pretraining, say: printError) { print(line) }
        }
    }
}
