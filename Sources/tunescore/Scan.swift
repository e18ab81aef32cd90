import ArgumentParser
import Foundation
import Scoring

/// Where the catalog (and the score cache) live.
struct LibraryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The library database (default: $XDG_DATA_HOME/tunescore/library.sqlite).", valueName: "path"))
    var db: String?

    /// The library these options name.
    var library: Library { Library(path: db) }
}

extension Tunescore {
    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Records the audio files below folders in the library database (tags, length, format).",
            discussion: "Rescans are incremental: a file whose size and modification time are unchanged is not read again. "
                + "Files that cannot be read are recorded with their reason; --failures lists them.")

        @Argument(help: ArgumentHelp("Folders (or files) to scan.", valueName: "folder"))
        var folders: [String] = []

        @OptionGroup var database: LibraryOptions

        @Flag(help: "List the files that could not be read, with their reasons (after scanning any folders given).")
        var failures = false

        @Flag(help: "List the files this scan read and left out as not audio (covers, playlists, text), with why.")
        var skipped = false

        func validate() throws {
            if folders.isEmpty && !failures { throw ValidationError("name at least one folder to scan, or --failures") }
            if folders.isEmpty && skipped { throw ValidationError("--skipped lists what a scan leaves out: name the folders to scan") }
        }

        func run() throws {
            let library = database.library
            if !folders.isEmpty {
                let summary = try library.scan(folders, observer: .progressBar())
                for failure in summary.unreadable { printError("could not enter \(failure.path.displayString): \(failure.message)") }
                if skipped { for file in summary.skipped { print("not audio: \(file)") } }
            }
            if failures {
                let list = try library.failures()
                for failure in list { print(failure) }
                if list.isEmpty { printError("no failed files in \(library.path)") }
            }
        }
    }
}
