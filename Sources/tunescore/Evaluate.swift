import ArgumentParser
import Foundation
import Model

extension Tunescore {
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluates a trained model: AUROC (norm and csi) on a data set.")

        @OptionGroup var options: ConfigOptions

        @Option(help: "Checkpoint file (default: best.pt in the config's checkpoint folder).")
        var checkpoint: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
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
