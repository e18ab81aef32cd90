import ArgumentParser
import Benchmarks
import Foundation
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
            let track = try model.choice.evaluate(file: file)
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

        private func evaluateImage(_ file: String) throws {
            let scored = try CIFAR10Evaluation(config: options.request, checkpoint: checkpoint).image(file)
            if json {
                try printReport(scored.json, json: true)
            } else {
                print(scored.line)
            }
        }

        private func evaluateDataset() throws {
            let evaluated = try CIFAR10Evaluation(config: options.request, checkpoint: checkpoint).dataset()
            if json {
                try printReport(evaluated.json, json: true)
            } else {
                for line in evaluated.lines { print(line) }
            }
        }
    }
}
