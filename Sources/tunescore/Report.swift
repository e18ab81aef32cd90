import ArgumentParser
import Foundation
import LibraryScanner
import Model
import Scoring

extension Tunescore {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Writes one self-contained HTML page: liked vs new scores, the ranked tracks with reasons and players.",
            discussion: "With --expected FOLDER, tracks below that folder are the ones that should rank first: the page "
                + "adds their ROC curve and the AUROC is printed (how the demo measures itself).")

        @Option(help: ArgumentHelp("The HTML file to write.", valueName: "file"))
        var out = "report.html"

        @Option(parsing: .upToNextOption, help: ArgumentHelp("Folders whose tracks should rank first (for a benchmark).", valueName: "folder"))
        var expected: [String] = []

        @OptionGroup var ranking: RankedScores
        @OptionGroup var library: LibraryOptions

        func run() throws {
            let (modelID, profile, tracks) = try ranking.load(from: library)
            var benchmark: ReportPage.Benchmark?
            if !expected.isEmpty {
                let folders = expected.map { RawPath($0).absolute }
                let isExpected = tracks.map { track in folders.contains { track.path.isInside($0) } }
                guard let area = AUROC.area(scores: tracks.map(\.score), isPositive: isExpected) else {
                    printError("--expected: need tracks both inside and outside \(expected.joined(separator: ", ")) among the scored tracks")
                    throw ExitCode(1)
                }
                let curve = AUROC.curve(scores: tracks.map(\.score), isPositive: isExpected)
                benchmark = ReportPage.Benchmark(roc: curve.map { ($0.falsePositiveRate, $0.truePositiveRate) },
                                                 aurocs: [("expected tracks vs the rest", area)])
                print(String(format: "AUROC %.3f: %d expected tracks vs %d others (1.0 = every expected track ranks above every other)",
                             area, isExpected.filter { $0 }.count, isExpected.filter { !$0 }.count))
                let top = min(10, tracks.count)
                let precision = AUROC.precision(at: top, scores: tracks.indices.map { -Double($0) }, isPositive: isExpected)
                print(String(format: "precision at %d %.2f: %d of the %d best fits are expected tracks", top, precision,
                             Int((precision * Double(top)).rounded()), top))
            }
            let page = ReportPage(
                title: "tunescore: \(tracks.count) tracks ranked by fit",
                model: ReportPage.ModelInfo(modelID: modelID, likedTrackCount: profile?.liked.count ?? 0,
                                            calibrationSource: profile?.calibrationSource ?? "unknown (model folder not found)"),
                likedScores: profile?.calibrationScores ?? [], new: tracks, benchmark: benchmark)
            try page.write(to: URL(fileURLWithPath: out))
            print("wrote \(out)")
        }
    }
}
