import ArgumentParser
import Benchmarks
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
        @OptionGroup var database: LibraryOptions

        func run() throws {
            let ranked = try ranking.load(from: database.library)
            var measured: ExpectedTracks?
            if !expected.isEmpty {
                measured = ExpectedTracks(ranked: ranked.tracks, expectedFolders: expected)
                guard let measured else {
                    throw TunescoreError(.failure, subject: "--expected", problem: "need tracks both inside and outside \(expected.joined(separator: ", ")) among the scored tracks")
                }
                for line in measured.summary { print(line) }
            }
            try ranked.writeReport(to: out, benchmark: measured?.section)
            print("wrote \(out)")
        }
    }
}
