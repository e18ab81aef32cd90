import ArgumentParser
import Foundation
import Model

/// Options every config-driven command shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "JSON config file (`tunescore config --keys` lists the keys).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one config key, as key=value (repeatable), e.g. --set epochs=5.", valueName: "key=value"))
    var overrides: [String] = []

    /// Loads the config (`defaults` when no file is given) with overrides applied; a config error is
    /// printed with the key it concerns and exits with code 2 before any work.
    func load(purpose: RunConfig.Purpose, extra: [String: Any] = [:], defaults: RunConfig = RunConfig()) throws -> RunConfig {
        do {
            var config = try config.map { try RunConfig.load(contentsOf: URL(fileURLWithPath: $0), purpose: .inspection) } ?? defaults
            config = try config.overriding(overrides, purpose: .inspection)
            return try config.merging(extra, purpose: purpose)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }
}

/// Writes a diagnostic line to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("tunescore: \(message)\n".utf8))
}

/// Formats an optional AUROC.
func formatted(_ value: Double?) -> String {
    value.map { String(format: "%.4f", $0) } ?? "n/a"
}

/// Data-parallel training: `--nproc N` here, or the environment torchrun sets (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
struct DistributedOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Train one model on N ranks on this machine (data-parallel over 127.0.0.1, each with an equal share of the cores unless TUNESCORE_THREADS is set). Across machines, launch one process per rank with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set, as torchrun does.", valueName: "N"))
    var nproc: Int?

    func validate() throws {
        if let nproc, nproc < 1 { throw ValidationError("--nproc must be at least 1") }
    }

    /// With `--nproc`: runs the ranks and ends this process with their exit status.
    func launchRanksIfAsked() throws {
        guard let nproc else { return }
        let status: Int32
        do {
            status = try LocalRanks.run(count: nproc, arguments: CommandLine.arguments) { printError($0) }
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        throw ExitCode(status)
    }

    /// Joins the group the environment describes (nil: train alone); a launch or start problem exits with status 2.
    func join(config: RunConfig) throws -> ProcessGroup? {
        try join(configJSON: config.json())
    }

    /// Joins the group the environment describes, the ranks comparing a hash of `configJSON`.
    func join(configJSON: String) throws -> ProcessGroup? {
        do {
            return try ProcessGroup.join(configJSON: configJSON)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
    }
}
