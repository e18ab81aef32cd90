import Foundation
import LibraryScanner
import Model
import Scoring

/// How well a ranking puts the tracks below some folders first (`tunescore report --expected`: how the demo measures
/// itself): the AUROC of the expected tracks against the rest, its ROC curve for the report page, and precision at 10.
public struct ExpectedTracks: Sendable {
    public let auroc: Double
    public let expectedCount: Int
    public let otherCount: Int
    /// How many of the best fits the precision looks at: ten, or every track when fewer are ranked.
    public let top: Int
    /// The share of the `top` best fits that are expected tracks.
    public let precision: Double
    /// The ROC curve and the AUROC, as the report page shows them.
    public let section: ReportPage.Benchmark

    /// Measures `tracks` (ranked best first) against the tracks below `folders`; nil unless the ranked tracks lie both
    /// inside and outside them.
    public init?(ranked tracks: [ScoredTrack], expected folders: [RawPath]) {
        let isExpected = tracks.map { track in folders.contains { track.path.isInside($0) } }
        guard let area = AUROC.area(scores: tracks.map(\.score), isPositive: isExpected) else { return nil }
        let curve = AUROC.curve(scores: tracks.map(\.score), isPositive: isExpected)
        auroc = area
        expectedCount = isExpected.filter { $0 }.count
        otherCount = isExpected.count - expectedCount
        top = min(10, tracks.count)
        // The list is the ranking, best first: the top is its first tracks, whatever their scores.
        precision = AUROC.precision(at: top, scores: tracks.indices.map { -Double($0) }, isPositive: isExpected)
        section = ReportPage.Benchmark(roc: curve.map { ($0.falsePositiveRate, $0.truePositiveRate) },
                                       aurocs: [("expected tracks vs the rest", area)])
    }

    /// The two lines `report` prints: the AUROC and the precision at `top`.
    public var summary: [String] {
        [String(format: "AUROC %.3f: %d expected tracks vs %d others (1.0 = every expected track ranks above every other)",
                auroc, expectedCount, otherCount),
         String(format: "precision at %d %.2f: %d of the %d best fits are expected tracks", top, precision,
                Int((precision * Double(top)).rounded()), top)]
    }
}
