import ArgumentParser
import Model

@main
struct Tunescore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Learns your taste from music you like and ranks new music by how well it fits.",
        version: "0.1.0",
        subcommands: [Scan.self, Train.self, Pretrain.self, Score.self, Export.self, Report.self, Evaluate.self, Bench.self, ConfigCommand.self]
    )

    static func main() {
        TorchRuntime.relaunchWithPassiveOpenMPIfNeeded()
        TorchRuntime.configureThreads()
        main(nil)
    }
}
