import Foundation
import LibraryScanner
import Model

/// What a scan found: counts of new, changed, failed and unchanged files, the files left out and the folders it could
/// not enter.
public typealias ScanSummary = LibraryScanner.ScanSummary

/// The library database a command works on (`--db`): the scanned tracks and the score cache.
public struct Library: Sendable {
    /// The SQLite file.
    public let path: String

    /// The library at `path`, or at the default place (`$XDG_DATA_HOME/tunescore/library.sqlite`) when nil.
    public init(path: String?) {
        self.path = path ?? TrackCatalog.defaultPath()
    }

    /// `tunescore scan`: records the audio files below `folders` (incremental: unchanged files are not read again).
    /// - Throws: `TunescoreError` when the database cannot be opened or written.
    public func scan(_ folders: [String], observer: ScanObserver) throws(TunescoreError) -> ScanSummary {
        try scan(folders.map(RawPath.init), into: try openCatalog(), observer: observer)
    }

    /// Brings `catalog` up to date with `roots`.
    private func scan(_ roots: [RawPath], into catalog: TrackCatalog, observer: ScanObserver) throws(TunescoreError) -> ScanSummary {
        let summary = try reporting(path) { try LibraryScan().scan(folders: roots, catalog: catalog, progress: observer.progress) }
        observer.finished(summary)
        return summary
    }

    /// `tunescore scan --failures`: every file that could not be read, with its reason, one line each.
    public func failures() throws(TunescoreError) -> [String] {
        let catalog = try openCatalog()
        return try reporting(path) { try catalog.failures().map { "\($0)" } }
    }

    /// `tunescore score`: scans `folders`, scores their tracks with the model `model` names (new or changed files only;
    /// the rest come from the score cache) and ranks them, best fit first.
    /// - Parameters:
    ///   - scanned: sees the scan, then its summary.
    ///   - progress: scored and total tracks, after every batch.
    /// - Throws: `TunescoreError` for a missing model or a database problem; a file that cannot be decoded is skipped.
    public func score(_ folders: [String], model: ModelChoice, scanned: ScanObserver,
                      progress: (Int, Int) -> Void) throws(TunescoreError) -> TasteScoring.Outcome {
        let taste = try model.load()
        let catalog = try openCatalog()
        let roots = folders.map(RawPath.init)
        _ = try scan(roots, into: catalog, observer: scanned)
        let tracks = try reporting(path) { try catalog.tracks(under: roots.map(\.absolute)) }
        let cache = try reporting(path) { try ScoreCache(path: path) }
        return try reporting { try TasteScoring(model: taste, cache: cache).score(tracks, progress: progress) }
    }

    /// The scores of one model, best first: `model`'s, or those of the model that scored last when nil.
    /// - Throws: `TunescoreError` when the model cannot be read or nothing was scored yet.
    public func ranking(of model: String?) throws(TunescoreError) -> Ranking {
        let cache = try reporting(path) { try ScoreCache(path: path) }
        let modelID: String?, profile: TasteProfile?
        if let model {
            profile = try reporting("model '\(model)'") { try TasteProfile.load(from: ModelStore.resolve(model)) }
            modelID = profile?.modelID
        } else {
            modelID = try reporting(path) { try cache.latestModelID() }
            profile = modelID.flatMap { ModelStore.folder(forModelID: $0) }.flatMap { try? TasteProfile.load(from: $0) }
        }
        let tracks = try reporting(path) { try modelID.map { try cache.ranked(modelID: $0) } ?? [] }
        guard let modelID, !tracks.isEmpty else {
            throw TunescoreError(.failure, subject: path, problem: "nothing scored yet", remedy: "run `tunescore score FOLDER` first")
        }
        return Ranking(modelID: modelID, profile: profile, tracks: tracks)
    }

    /// Opens the catalog, creating and migrating it when needed.
    func openCatalog() throws(TunescoreError) -> TrackCatalog {
        try reporting(path) { try TrackCatalog(path: path) }
    }
}

/// Who watches a scan: its progress, then its summary.
public struct ScanObserver {
    /// Sees every progress step.
    public var progress: (ScanProgress) -> Void
    /// Sees the summary when the scan is done.
    public var finished: (ScanSummary) -> Void

    /// An observer of both.
    public init(progress: @escaping (ScanProgress) -> Void, finished: @escaping (ScanSummary) -> Void) {
        self.progress = progress
        self.finished = finished
    }
}

extension ScanObserver {
    /// A progress bar on standard error (redrawn on a terminal, one plain line per update when piped) and the summary
    /// line at the end.
    public static func progressBar() -> ScanObserver {
        let bar = ProgressBar()
        return ScanObserver(progress: bar.update, finished: bar.finish)
    }
}

/// Which taste model a command uses (`--model`): a name under `$XDG_DATA_HOME/tunescore/models` or a model folder.
public struct ModelChoice: Sendable {
    /// The name or folder as given.
    public var name: String

    /// The model `name` names.
    public init(_ name: String) { self.name = name }

    /// The model's folder.
    var folder: URL { ModelStore.resolve(name) }

    /// Loads the model.
    /// - Throws: `TunescoreError` naming the model (and how to train one) when it is missing or damaged.
    public func load() throws(TunescoreError) -> TasteModel {
        try reporting("model '\(name)'") { try TasteModel.load(from: folder) }
    }

    /// `tunescore evaluate FILE`: one audio file's score, fit and reasons with this model, without the score cache.
    /// - Throws: `TunescoreError` naming the model or the file when either cannot be read.
    public func evaluate(file: String) throws(TunescoreError) -> ScoredTrack {
        let taste = try load()
        return try reporting { try TasteScoring.scoreFile(RawPath(file), model: taste) }
    }
}
