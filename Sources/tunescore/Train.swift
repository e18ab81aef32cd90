import ArgumentParser
import Foundation
import Model

extension Tunescore {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trains a CSI model on the data set a config names (cifar10 for now).")

        @OptionGroup var options: ConfigOptions

        @Option(help: "Epochs (overrides the config's 'epochs').")
        var epochs: Int?

        @Flag(help: "Continue from last.pt in the checkpoint folder: epoch, optimiser and schedule.")
        var resume = false

        func validate() throws {
            if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        }

        func run() throws {
            let config = try options.load(purpose: .training, extra: epochs.map { ["epochs": $0] } ?? [:])
            let data = try OneClassData.cifar10(config: config)
            let log = try TrainingLog(directory: config.effectiveLogDirectory, config: config)
            let experiment = OneClassExperiment(config: config, data: data)
            let stopper = StopOnSignal()
            let (result, _) = try experiment.train(resume: resume, log: log) { stopper.stops($0) }
            if result.wasStopped {
                printError("stopped; \(result.lastCheckpoint.path) holds epoch \(result.epochsCompleted): continue with --resume")
                throw ExitCode(130)
            }
            print("trained \(result.epochsCompleted) epochs in \(String(format: "%.1f", result.trainingSeconds)) s "
                + "(\(String(format: "%.1f", result.itemsPerSecond)) items/s); best: \(result.bestCheckpoint.path)")
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
