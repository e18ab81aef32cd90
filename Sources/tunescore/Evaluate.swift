import ArgumentParser
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

        @Option(help: "Data set mode: checkpoint file (default: best.pt in the config's checkpoint folder).")
        var checkpoint: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            if let file { try evaluateFile(file) } else { try evaluateDataset() }
        }

        private func evaluateFile(_ file: String) throws {
            let taste = try model.load()
            let scratch = try PCMCache(folder: ScratchFolder.forScoring(), sampleRate: taste.config.sampleRate)
            defer { try? FileManager.default.removeItem(atPath: scratch.folder) }
            let track: ScoredTrack
            do {
                track = try TasteScoring.scoreFile(RawPath(file), model: taste, scratch: scratch)
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
            print("\(track.displayName): fit \(String(format: "%.0f", track.fit)) of 100 "
                + "(csi \(String(format: "%.4f", track.csi)), norm \(String(format: "%.4f", track.norm)), \(track.excerptCount) excerpts)")
            for reason in track.reasons { print("  because you liked \(reason.likedTrack) (similarity \(String(format: "%.2f", reason.similarity)))") }
        }

        private func evaluateDataset() throws {
            var config = try options.load(purpose: .inspection)
            let path = checkpoint ?? (config.effectiveCheckpointDirectory as NSString).appendingPathComponent("best.pt")
            config = try options.load(purpose: .evaluation, extra: ["path_checkpoint": path])
            let (network, meta) = try Checkpoint.load(from: URL(fileURLWithPath: path))
            let experiment = OneClassExperiment(config: config, data: try OneClassData.cifar10(config: config))
            let (norm, csi) = try experiment.aurocs(of: network)
            if json {
                try printReport(["checkpoint": path, "epoch": "\(meta.epoch)", "auroc_norm": formatted(norm), "auroc_csi": formatted(csi)], json: true)
            } else {
                print("checkpoint \(path) (epoch \(meta.epoch))")
                print("AUROC norm \(formatted(norm))")
                print("AUROC csi  \(formatted(csi))")
            }
        }
    }
}
