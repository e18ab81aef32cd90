import Foundation
import LibraryScanner
import Model

/// The scored tracks of one model, best first, from the score cache: what `export` and `report` write out.
public struct Ranking: Sendable {
    /// The model that scored them.
    public let modelID: String
    /// The model's profile; nil when its folder can no longer be found.
    let profile: TasteProfile?
    /// The tracks, best fit first.
    public let tracks: [ScoredTrack]

    /// `tunescore export`: writes the ranking as an extended M3U playlist to `file`.
    /// - Parameters:
    ///   - top: only the N best tracks.
    ///   - minFit: only tracks with at least this fit.
    ///   - relativeTo: a folder the paths are written relative to (nil: absolute paths).
    /// - Returns: the playlist written (its entry count and the tracks it could not hold).
    /// - Throws: `TunescoreError` naming `file` when it cannot be written.
    public func exportPlaylist(to file: String, top: Int?, minFit: Double?, relativeTo: String?) throws(TunescoreError) -> PlaylistWriter.Playlist {
        let writer = PlaylistWriter(top: top, minFit: minFit, relativeTo: relativeTo.map { RawPath($0).absolute })
        let playlist = writer.playlist(tracks)
        try reporting(file) { try playlist.write(to: URL(fileURLWithPath: file)) }
        return playlist
    }

    /// `tunescore report`: writes one self-contained HTML page of the ranking to `file`, with `benchmark` (the ROC
    /// curve of the tracks expected first) when given.
    /// - Throws: `TunescoreError` naming `file` when it cannot be written.
    public func writeReport(to file: String, benchmark: ReportPage.Benchmark?) throws(TunescoreError) {
        let page = ReportPage(
            title: "tunescore: \(tracks.count) tracks ranked by fit",
            model: ReportPage.ModelInfo(modelID: modelID, likedTrackCount: profile?.liked.count ?? 0,
                                        calibrationSource: profile?.calibrationSource ?? "unknown (model folder not found)"),
            likedScores: profile?.calibrationScores ?? [], new: tracks, benchmark: benchmark)
        try reporting(file) { try page.write(to: URL(fileURLWithPath: file)) }
    }
}
