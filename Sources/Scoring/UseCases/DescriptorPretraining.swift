import Features
import Foundation
import LibraryScanner
import Model

/// `tunescore pretrain`: learns a descriptor space (the space taste models compare tracks in) and its patch codebook
/// from folders of music, each track's source being the folder it sits in.
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
        /// The track's patch code under the config's descriptor space (nil for a space without a codebook).
        public var code: [Float]?
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

    /// Decodes (through the audio cache) and describes every track of the folders, with its patch code under the
    /// config's descriptor space; unreadable files are named to `say`.
    /// - Throws: `TunescoreError` for a bad config or an unusable cache folder.
    public func describe(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                         say: (String) -> Void) throws(TunescoreError) -> [DescribedTrack] {
        let (config, decoded) = try decodeAll(threads: threads, say: say)
        let codebook = try reporting { try DescriptorSpace.forConfig(config).patchCode?.codebook }
        let extractor = DescriptorExtractor(config: config)
        let descriptors = extractor.descriptors(of: decoded.pcm, threads: threads)
        let codes = codebook.map { extractor.codes(of: decoded.pcm, codebook: $0, threads: threads) }
        return decoded.tracks.indices.map { i in
            DescribedTrack(path: decoded.tracks[i].path.displayString, source: Self.source(of: decoded.tracks[i]), descriptor: descriptors[i],
                           code: codes?[i])
        }
    }

    /// Learns a codebook and fits a space on every track of the folders and writes it to `out`.
    /// - Throws: `TunescoreError` when too few tracks or sources were found, or `out` cannot be written.
    public func run(out: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    say: (String) -> Void) throws(TunescoreError) -> Summary {
        let (config, decoded) = try decodeAll(threads: threads, say: say)
        let space = try reporting {
            try DescriptorSpace.learn(from: decoded.pcm, sources: decoded.tracks.map(Self.source(of:)), config: config, threads: threads, say: say)
        }
        try reporting(out) { try space.save(to: out) }
        return Summary(tracks: space.referenceTracks, sources: space.referenceSources, dimensions: space.embeddingDimension)
    }

    /// The effective config and every track of the folders, decoded through the audio cache.
    private func decodeAll(threads: Int, say: (String) -> Void) throws(TunescoreError)
        -> (config: RunConfig, decoded: (tracks: [AudioTrack], pcm: [PCMTrack])) {
        let config = try config.load(for: .inspection, defaults: RunConfig.musicPreset())
        let cache = try reporting(cacheFolder) { try PCMCache(folder: cacheFolder ?? PCMCache.defaultFolder(), sampleRate: config.sampleRate) }
        let found = MusicCollection.tracks(in: folders.map(RawPath.init))
        for file in found.skipped { say("skipped \(file)") }
        say("decoding \(found.tracks.count) tracks")
        let decoded = MusicCollection.decode(found.tracks, cache: cache, threads: threads)
        for file in decoded.skipped { say("skipped \(file)") }
        say("describing \(decoded.tracks.count) tracks")
        return (config, (decoded.tracks, decoded.pcm))
    }

    /// The folder a track sits in: its source.
    private static func source(of track: AudioTrack) -> String {
        URL(fileURLWithPath: track.path.displayString).deletingLastPathComponent().path
    }
}
