import ArgumentParser
import Model

extension Tunescore {
    struct ConfigCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Checks a config and prints it with every default filled in; --keys lists every key.")

        @OptionGroup var options: ConfigOptions

        @Flag(help: "Print the table of every config key (Markdown) instead.")
        var keys = false

        func run() throws {
            if keys {
                print(RunConfig.markdownTable(), terminator: "")
            } else {
                print(try options.load(purpose: .inspection).json(), terminator: "")
            }
        }
    }
}
