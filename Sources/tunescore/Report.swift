import ArgumentParser
import Benchmarks
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
                guard let measured = ExpectedTracks(ranked: tracks, expected: expected.map { RawPath($0).absolute }) else {
                    printError("--expected: need tracks both inside and outside \(expected.joined(separator: ", ")) among the scored tracks")
                    throw ExitCode(1)
                }
                benchmark = measured.section
                for line in measured.summary { print(line) }
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
