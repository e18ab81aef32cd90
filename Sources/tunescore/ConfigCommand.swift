import ArgumentParser
import Scoring

extension Tunescore {
    struct ConfigCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Checks a config and prints it with every default filled in; --keys lists every key.")

        @OptionGroup var options: ConfigOptions

        @Flag(help: "Print the table of every config key (Markdown) instead.")
        var keys = false

        func run() throws {
            print(keys ? ConfigRequest.keyTable : try options.request.effectiveJSON(), terminator: "")
        }
    }
}
