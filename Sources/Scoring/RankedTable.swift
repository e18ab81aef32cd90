import Foundation
import LibraryScanner

/// The ranked table `tunescore score` prints: rank, fit, title, artist and the closest liked track.
public enum RankedTable {
    /// Column text cut to fit a terminal line; rows in the order given.
    public static func text(_ tracks: [ScoredTrack]) -> String {
        var lines = [row("#", "fit", "title", "artist", "because you liked")]
        for (index, track) in tracks.enumerated() {
            lines.append(row("\(index + 1)", String(format: "%.0f", track.fit), track.displayTitle, track.artist ?? "",
                             track.reasons.first.map { String(format: "%@ (%.2f)", $0.likedTrack, $0.similarity) } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    private static func row(_ rank: String, _ fit: String, _ title: String, _ artist: String, _ reason: String) -> String {
        pad(rank, 4, right: true) + " " + pad(fit, 4, right: true) + "  " + pad(title, 36) + "  " + pad(artist, 22) + "  " + cut(reason, 48)
    }

    private static func cut(_ text: String, _ width: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let cutText = cut(text, width)
        let fill = String(repeating: " ", count: max(0, width - cutText.count))
        return right ? fill + cutText : cutText + fill
    }
}

/// One scored track as a JSON line (`tunescore score --json`).
public struct ScoredTrackLine: Encodable {
    public struct Reason: Encodable {
        public var liked: String
        public var similarity: Double
    }

    public var path: String
    public var fit: Double
    /// The score the model ranks by.
    public var score: Double?
    /// The network's scores; absent when the model has no network.
    public var csi: Double?
    public var norm: Double?
    public var title: String?
    public var artist: String?
    public var album: String?
    public var duration: Double?
    public var reasons: [Reason]
    public var model: String

    public init(_ track: ScoredTrack) {
        path = track.path.displayString
        fit = (track.fit * 10).rounded() / 10
        score = track.score.isFinite ? track.score : nil
        csi = track.csi.isFinite ? track.csi : nil
        norm = track.norm.isFinite ? track.norm : nil
        title = track.title
        artist = track.artist
        album = track.album
        duration = track.duration
        reasons = track.reasons.map { Reason(liked: $0.likedTrack, similarity: ($0.similarity * 1000).rounded() / 1000) }
        model = track.modelID
    }
}

extension ScoredTrack {
    /// The title tag, or the file name when there is none.
    public var displayTitle: String {
        title ?? String(decoding: path.lastComponent, as: UTF8.self)
    }
}
