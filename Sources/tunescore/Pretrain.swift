import ArgumentParser
import Scoring

extension Tunescore {
    struct Pretrain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learns a descriptor space from a music library: the space taste models compare tracks in.",
            discussion: "Every track's source is the folder it sits in (an album, an artist, a game's soundtrack): the space keeps what tells sources apart. Use it with --set descriptor_space=FILE; without it, tunescore uses its built-in space.")

        @OptionGroup var music: MusicFolders

        @Option(help: "Where to write the space (JSON).")
        var out: String

        func run() throws {
            let summary = try music.pretraining.run(out: out, say: printError)
            print("wrote \(out): \(summary.tracks) tracks from \(summary.sources) sources, \(summary.dimensions) dimensions")
        }
    }
}

/// Folders of music to read, with the audio cache and the config that says how (`pretrain`, `bench describe`).
struct MusicFolders: ParsableArguments {
    @Argument(help: ArgumentHelp("Folders of music (searched recursively); a track's source is the folder it sits in.", valueName: "folder"))
    var folders: [String]

    @Option(help: "Audio cache folder (default: $XDG_CACHE_HOME/tunescore/pcm).")
    var cache: String?

    @OptionGroup var options: ConfigOptions

    func validate() throws {
        if folders.isEmpty { throw ValidationError("name at least one folder of music") }
    }

    /// Describing (and fitting a space on) these folders.
    var pretraining: DescriptorPretraining { DescriptorPretraining(folders: folders, cacheFolder: cache, config: options.request) }
}
