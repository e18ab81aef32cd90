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
