import ArgumentParser
import Foundation
import Scoring

/// Options every config-driven command shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "JSON config file (`tunescore config --keys` lists the keys).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one config key, as key=value (repeatable), e.g. --set epochs=5.", valueName: "key=value"))
    var overrides: [String] = []

    /// The config these options ask for.
    var request: ConfigRequest { ConfigRequest(file: config, assignments: overrides) }
}

/// Writes a diagnostic line to stderr.
@Sendable func printError(_ message: String) {
    FileHandle.standardError.write(Data("tunescore: \(message)\n".utf8))
}

/// Data-parallel training: `--nproc N` here, or the environment torchrun sets (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
struct DistributedOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Train one model on N ranks on this machine (data-parallel over 127.0.0.1, each with an equal share of the cores unless TUNESCORE_THREADS is set). Across machines, launch one process per rank with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set, as torchrun does.", valueName: "N"))
    var nproc: Int?

    func validate() throws {
        if let nproc, nproc < 1 { throw ValidationError("--nproc must be at least 1") }
    }

    /// The launch these options ask for.
    var launch: DistributedLaunch { DistributedLaunch(localRanks: nproc) }
}

/// The result of a command that may have run local ranks instead; after local ranks, ends the process with their status.
func result<Result>(of end: RunEnd<Result>) throws -> Result {
    switch end {
    case .localRanks(let status): throw ExitCode(status)
    case .finished(let result): return result
    }
}
