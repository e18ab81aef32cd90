import Features
import Foundation
import LibraryScanner
import Model

/// `tunescore pretrain`: learns a descriptor space (the space taste models compare tracks in) from folders of music,
/// each track's source being the folder it sits in.
public struct DescriptorPretraining: Sendable {
    /// What was written.
    public struct Summary: Sendable {
        public var tracks: Int
        public var sources: Int
        public var dimensions: Int
    }

    /// One described track.
    public struct DescribedTrack: Codable, Sendable {
        public var path: String
        /// The folder the track sits in.
        public var source: String
        public var descriptor: [Float]
    }

    /// Folders of music (searched recursively).
    public var folders: [String]
    /// The decoded-audio cache folder; nil for the default.
    public var cacheFolder: String?
    /// The config on top of the built-in music settings (sample rate, excerpts).
    public var config: ConfigRequest

    /// A pretraining on `folders`.
    public init(folders: [String], cacheFolder: String?, config: ConfigRequest) {
        self.folders = folders
        self.cacheFolder = cacheFolder
        self.config = config
    }

    /// Decodes (through the audio cache) and describes every track of the folders; unreadable files are named to `say`.
    /// - Throws: `TunescoreError` for a bad config or an unusable cache folder.
    public func describe(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                         say: (String) -> Void) throws(TunescoreError) -> [DescribedTrack] {
        let config = try config.load(for: .inspection, defaults: RunConfig.musicPreset())
        let cache = try reporting(cacheFolder) { try PCMCache(folder: cacheFolder ?? PCMCache.defaultFolder(), sampleRate: config.sampleRate) }
        let found = MusicCollection.tracks(in: folders.map(RawPath.init))
        for file in found.skipped { say("skipped \(file)") }
        say("decoding \(found.tracks.count) tracks")
        let decoded = MusicCollection.decode(found.tracks, cache: cache, threads: threads)
        for file in decoded.skipped { say("skipped \(file)") }
        say("describing \(decoded.tracks.count) tracks")
        let descriptors = DescriptorExtractor(config: config).descriptors(of: decoded.pcm, threads: threads)
        return zip(decoded.tracks, descriptors).map { track, descriptor in
            DescribedTrack(path: track.path.displayString,
                           source: URL(fileURLWithPath: track.path.displayString).deletingLastPathComponent().path,
                           descriptor: descriptor)
        }
    }

    /// Fits a space on every track of the folders and writes it to `out`.
    /// - Throws: `TunescoreError` when too few tracks or sources were found, or `out` cannot be written.
    public func run(out: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    say: (String) -> Void) throws(TunescoreError) -> Summary {
        let described = try describe(threads: threads, say: say)
        let space = try reporting { try DescriptorSpace(fitting: described.map(\.descriptor), sources: described.map(\.source)) }
        try reporting(out) { try space.save(to: out) }
        return Summary(tracks: space.referenceTracks, sources: space.referenceSources, dimensions: space.outputDimension)
    }
}
