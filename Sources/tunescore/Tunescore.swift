import ArgumentParser
import Foundation
import Scoring

@main
struct Tunescore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Learns your taste from music you like and ranks new music by how well it fits.",
        version: "0.1.0",
        subcommands: [Scan.self, Train.self, Pretrain.self, Score.self, Export.self, Report.self, Evaluate.self, Bench.self, ConfigCommand.self]
    )

    static func main() {
        Runtime.prepare()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(after: error)
        }
    }

    /// Prints `error` as swift-argument-parser does and ends the process: a `TunescoreError` with its own status, a
    /// usage error (bad option, `ValidationError`) with 2 rather than swift-argument-parser's 64, so a config and an
    /// option mistake end alike.
    private static func exit(after error: any Error) -> Never {
        let status: Int32
        if let error = error as? TunescoreError {
            status = error.exitStatus
        } else if exitCode(for: error) == .validationFailure {
            status = 2
        } else {
            exit(withError: error)
        }
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        exit(withError: ExitCode(status))
    }
}
