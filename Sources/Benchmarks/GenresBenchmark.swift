import Foundation
import LibraryScanner
import Model

/// The music one-class benchmark over a folder with one sub-folder per style (`tunescore bench genres`): the liked
/// styles' tracks split by track into training and held-out tracks, the held-out ones tested against every other style.
public struct GenresBenchmark: Sendable {
    /// The share of the liked styles' tracks that train; the rest are held out and tested.
    public static let trainFraction = 0.7
    /// The liked style that stands for every style in turn.
    public static let allStyles = "all"

    let config: RunConfig
    /// The tracks of each style, by style name.
    let styles: [String: [AudioTrack]]
    let cache: PCMCache
    /// Seeded outlier tracks each run gives the model as known dislikes (they leave the test set).
    let dislikes: Int

    /// The benchmark over `styles` (`MusicCollection.styles(in:)`) with `config`, decoding through `cache`; each run
    /// gives the model `dislikes` seeded outlier tracks as known dislikes.
    public init(config: RunConfig, styles: [String: [AudioTrack]], cache: PCMCache, dislikes: Int) {
        self.config = config
        self.styles = styles
        self.cache = cache
        self.dislikes = dislikes
    }

    /// The names in `liked` (styles joined by '+') that are not styles of the collection.
    public func unknownStyles(in liked: String) -> [String] {
        liked.split(separator: "+").map(String.init).filter { styles[$0] == nil }
    }

    /// The seeded split of each run: `trainFraction` of the liked styles' tracks (`a+b`: both) train, the rest are
    /// tested with every other style.
    public func split(liked: String) -> @Sendable (Int) -> MusicSplit {
        let likedStyles = Set(liked.split(separator: "+").map(String.init))
        let likedTracks = styles.filter { likedStyles.contains($0.key) }.sorted { $0.key < $1.key }.flatMap(\.value)
        let others = styles.filter { !likedStyles.contains($0.key) }.sorted { $0.key < $1.key }.flatMap(\.value)
        let validationFraction = config.validationFraction, dislikes = self.dislikes
        return { seed in
            MusicSplit.heldOut(liked: likedTracks, others: others, trainFraction: Self.trainFraction,
                               validationFraction: validationFraction, seed: UInt64(seed)).withDislikes(dislikes, seed: UInt64(seed))
        }
    }

    /// One run with `liked` as the liked music, on the split of the config's seed.
    public func experiment(liked: String) -> MusicExperiment {
        MusicExperiment(config: config, split: split(liked: liked)(config.seed), cache: cache, label: liked)
    }

    /// Every style in turn as the liked music, on `splits` seeded splits each; each style logs to `log_dir/liked-STYLE`.
    public func everyStyle(splits: Int, say: @escaping @Sendable (String) -> Void) throws -> TasteBenchmarkReport {
        var results: [String: MusicSeriesReport] = [:]
        for style in styles.keys.sorted() {
            var styleConfig = config
            styleConfig.logDirectory = URL(fileURLWithPath: config.effectiveLogDirectory).appendingPathComponent("liked-\(style)").path
            let split = self.split(liked: style)
            say("liked: \(style)")
            let experiment = MusicExperiment(config: styleConfig, split: split(styleConfig.seed), cache: cache, label: style)
            results[style] = try MusicSeries(experiment: experiment, runs: splits, resplit: split).run(say: say)
        }
        return TasteBenchmarkReport(styles: results)
    }
}
