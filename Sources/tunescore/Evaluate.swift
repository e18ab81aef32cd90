import ArgumentParser
import Benchmarks
import Foundation
import LibraryScanner
import Model
import Scoring

extension Tunescore {
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scores one audio file against a taste model (score, fit, reasons), or evaluates a model on a data set (AUROC).",
            discussion: """
                tunescore evaluate SONG.ogg [--model NAME]      one file: its scores, fit (0-100) and the closest liked tracks
                tunescore evaluate --config Configs/cifar10.json  data set mode: AUROC (norm and csi) of the config's checkpoint
                """)

        @Argument(help: ArgumentHelp("An audio file to score (leave out for data set mode).", valueName: "file"))
        var file: String?

        @OptionGroup var model: ModelOptions
        @OptionGroup var options: ConfigOptions

        @Option(help: "Data set mode: checkpoint file (default: the config's score_checkpoint, best.pt or last.pt, in its checkpoint folder).")
        var checkpoint: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            switch file {
            case let file? where file.lowercased().hasSuffix(".png"): try evaluateImage(file)
            case let file?: try evaluateFile(file)
            case nil: try evaluateDataset()
            }
        }

        private func evaluateFile(_ file: String) throws {
            let taste = try model.load()
            let track: ScoredTrack
            do {
                track = try TasteScoring.scoreFile(RawPath(file), model: taste)
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(ScoredTrackLine(track)), as: UTF8.self))
                return
            }
            let network = track.csi.isFinite ? String(format: ", csi %.4f, norm %.4f", track.csi, track.norm) : ""
            print("\(track.displayName): fit \(String(format: "%.0f", track.fit)) of 100 "
                + "(score \(String(format: "%.4f", track.score))\(network), \(track.excerptCount) excerpts)")
            for reason in track.reasons { print("  because you liked \(reason.likedTrack) (similarity \(String(format: "%.2f", reason.similarity)))") }
        }

        /// The config's checkpoint and the CIFAR-10 experiment it was trained in.
        private func loadExperiment() throws -> (OneClassExperiment<ImageSource>, CSINetwork, CheckpointMetadata, String) {
            var config = try options.load(purpose: .inspection)
            let path = checkpoint ?? (config.effectiveCheckpointDirectory as NSString).appendingPathComponent(config.scoringCheckpointFile)
            config = try options.load(purpose: .evaluation, extra: ["path_checkpoint": path])
            let (network, meta) = try Checkpoint.load(from: URL(fileURLWithPath: path))
            return (OneClassExperiment(config: config, data: try OneClassData.cifar10(config: config)), network, meta, path)
        }

        private func evaluateImage(_ file: String) throws {
            let (experiment, network, _, path) = try loadExperiment()
            let images: ImageSet
            do {
                images = try ImageSet.png(at: file, height: experiment.data.test.images.height, width: experiment.data.test.images.width)
            } catch {
                printError("\(error)")
                throw ExitCode(1)
            }
            let scores = try experiment.scores(of: images, network: network)
            if json {
                try printReport(["file": file, "checkpoint": path, "class": experiment.data.className,
                                 "csi": String(format: "%.4f", scores.csi[0]), "norm": String(format: "%.4f", scores.norm[0])], json: true)
            } else {
                // CSI divides each term by its mean over the training images, so a typical training image scores about 2.
                print("\(file) as '\(experiment.data.className)': csi \(String(format: "%.4f", scores.csi[0])) "
                    + "(training images average about 2; lower = more novel), norm \(String(format: "%.4f", scores.norm[0]))")
            }
        }

        private func evaluateDataset() throws {
            let (experiment, network, meta, path) = try loadExperiment()
            let aurocs = try experiment.aurocs(of: network)
            if json {
                try printReport(["checkpoint": path, "epoch": "\(meta.epoch)", "auroc_norm": formatted(aurocs.norm),
                                 "auroc_csi": formatted(aurocs.csi), "auroc_similarity": formatted(aurocs.similarity),
                                 "auroc_shift": formatted(aurocs.shift)], json: true)
            } else {
                print("checkpoint \(path) (epoch \(meta.epoch))")
                print("AUROC norm \(formatted(aurocs.norm))")
                print("AUROC csi  \(formatted(aurocs.csi)) (similarity term \(formatted(aurocs.similarity)), shift term \(formatted(aurocs.shift)))")
            }
        }
    }
}
