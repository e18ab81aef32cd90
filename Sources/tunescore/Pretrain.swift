import ArgumentParser
import Foundation
import LibraryScanner
import Model

extension Tunescore {
    struct Pretrain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learns a descriptor space from a music library: the space taste models compare tracks in.",
            discussion: "Every track's source is the folder it sits in (an album, an artist, a game's soundtrack): the space keeps what tells sources apart. Use it with --set descriptor_space=FILE; without it, tunescore uses its built-in space.")

        @Argument(help: ArgumentHelp("Folders of music (searched recursively); at least two folders of three or more tracks each.", valueName: "folder"))
        var folders: [String]

        @Option(help: "Where to write the space (JSON).")
        var out: String

        @Option(help: "Audio cache folder (default: $XDG_CACHE_HOME/tunescore/pcm).")
        var cache: String?

        @OptionGroup var options: ConfigOptions

        func validate() throws {
            if folders.isEmpty { throw ValidationError("name at least one folder of music") }
        }

        func run() throws {
            let config = try options.load(purpose: .inspection, defaults: RunConfig.musicPreset())
            let pcm = try PCMCache(folder: cache ?? PCMCache.defaultFolder(), sampleRate: config.sampleRate)
            let summary = try DescriptorPretraining.run(folders: folders.map(RawPath.init), out: out, config: config, cache: pcm,
                                                        threads: ProcessInfo.processInfo.activeProcessorCount) { printError($0) }
            print("wrote \(out): \(summary.tracks) tracks from \(summary.sources) sources, \(summary.dimensions) dimensions")
        }
    }
}
