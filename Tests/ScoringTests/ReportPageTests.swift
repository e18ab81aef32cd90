import Foundation
import LibraryScanner
import TestSupport
import XCTest
@testable import Scoring

final class ReportPageTests: XCTestCase {
    private func page(benchmark: ReportPage.Benchmark? = nil) -> ReportPage {
        let tracks = [
            ScoredTrack(path: RawPath("/music/Rock & Roll/<odd> #1?.mp3"), size: 1, modificationTimeNs: 1, modelID: "m<1>",
                        title: "Fish & <Chips>", artist: "Björk", album: "日本 \"live\"", duration: 125.4, norm: 1,
                        csi: 2.5, fit: 97.26, excerptCount: 3,
                        reasons: [.init(likedTrack: "Tom's <b>", similarity: 0.934), .init(likedTrack: "Other", similarity: 0.5)],
                        scoredAt: Date()),
            ScoredTrack(path: RawPath(bytes: Array("/music/x".utf8) + [0xFF] + Array(".flac".utf8)), size: 1,
                        modificationTimeNs: 1, modelID: "m<1>", title: nil, artist: nil, album: nil, duration: nil,
                        norm: 1, csi: 1, fit: 60, excerptCount: 1, scoredAt: Date()),
            ScoredTrack(path: RawPath("/music/plain.ogg"), size: 1, modificationTimeNs: 1, modelID: "m<1>",
                        title: "Café ☕", artist: "A", album: "B", duration: 59.6, norm: 1, csi: -1, fit: 12,
                        excerptCount: 1, scoredAt: Date()),
        ]
        return ReportPage(title: "Taste <report> & more",
                          model: .init(modelID: "m<1>", likedTrackCount: 42, calibrationSource: "held-out"),
                          likedScores: [3, 2.5, 2, 1.5, .nan], new: tracks, benchmark: benchmark)
    }

    private func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    func testEscapesTextAndEncodesFileURLs() {
        let html = page().html()
        XCTAssertTrue(html.contains("<title>Taste &lt;report&gt; &amp; more</title>"))
        XCTAssertTrue(html.contains(">Fish &amp; &lt;Chips&gt;</td>"))
        XCTAssertTrue(html.contains(">Björk</td>"))
        XCTAssertTrue(html.contains(">日本 &quot;live&quot;</td>"))
        XCTAssertTrue(html.contains("because you liked Tom&#39;s &lt;b&gt; (0.93)"))
        XCTAssertTrue(html.contains("<dd>m&lt;1&gt;</dd>"))
        XCTAssertFalse(html.contains("<Chips>"))
        XCTAssertFalse(html.contains("<b>"))
        // Raw bytes, percent-encoded: '&' is %26, '<' %3C, '#' %23, '?' %3F, 0xFF stays one byte.
        XCTAssertTrue(html.contains("src=\"file:///music/Rock%20%26%20Roll/%3Codd%3E%20%231%3F.mp3\""))
        XCTAssertTrue(html.contains("src=\"file:///music/x%FF.flac\""))
        // The file stem stands in for a missing title.
        XCTAssertTrue(html.contains(">x\u{FFFD}</td>"))
        XCTAssertEqual(occurrences(of: "<tr class=\"track\"", in: html), 3)
        XCTAssertTrue(html.contains("<tr class=\"track\" data-rank=\"2\">"))
        XCTAssertTrue(html.contains(">97.3</td>"))
        XCTAssertTrue(html.contains(">2:05</td>"))
        XCTAssertTrue(html.contains(">1:00</td>"))
        XCTAssertEqual(occurrences(of: "<audio controls preload=\"none\"", in: html), 3)
        XCTAssertTrue(html.contains("liked (4)"), "NaN scores are left out of the histogram")
        XCTAssertTrue(html.contains("new (3)"))
        XCTAssertFalse(html.contains("class=\"roc\""))
        XCTAssertFalse(html.contains("http:") || html.contains("https:") || html.contains("src=\"//"))
    }

    func testBenchmarkSectionDrawsTheROCCurve() {
        let roc: [(fpr: Double, tpr: Double)] = [(0, 0), (1, 1), (0.1, 0.6), (0.5, 0.9)]
        let html = page(benchmark: .init(roc: roc, aurocs: [("overall", 0.8123), ("jazz & <blues>", 0.7)])).html()
        XCTAssertTrue(html.contains("class=\"roc\""))
        // Sorted by false positive rate, in a 300-point square 40 points from the edges.
        XCTAssertTrue(html.contains("points=\"40.0,340.0 70.0,160.0 190.0,70.0 340.0,40.0\""))
        XCTAssertTrue(html.contains("AUROC overall: 0.812"))
        XCTAssertTrue(html.contains("<td>jazz &amp; &lt;blues&gt;</td><td class=\"number\">0.700</td>"))
    }

    func testEmptyRankingStillRenders() {
        let empty = ReportPage(title: "Empty", model: .init(modelID: "m", likedTrackCount: 0, calibrationSource: "training"),
                               likedScores: [], new: [])
        let html = empty.html()
        XCTAssertTrue(html.contains("No scores to show."))
        XCTAssertEqual(occurrences(of: "class=\"track\"", in: html), 0)
    }

    func testChromiumRendersThePage() throws {
        guard let chromium = ProcessLookup.executable(named: "chromium") else {
            throw XCTSkip("no chromium on PATH (Debian package `chromium`; `make test` installs it)")
        }
        let folder = try makeTemporaryDirectory()
        let file = folder.appendingPathComponent("report.html")
        try page(benchmark: .init(roc: [(0, 0), (0.2, 0.7), (1, 1)], aurocs: [("overall", 0.75)])).write(to: file)
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                      "--user-data-dir=\(folder.appendingPathComponent("profile").path)"]

        let dom = try runChromium(chromium, common + ["--dump-dom", file.absoluteString], in: folder)
        XCTAssertEqual(occurrences(of: "class=\"track\"", in: dom), 3, dom)
        XCTAssertTrue(dom.contains("Fish &amp; &lt;Chips&gt;"))
        XCTAssertTrue(dom.contains("Café ☕"))
        XCTAssertTrue(dom.contains("<svg class=\"roc\""))

        let png = folder.appendingPathComponent("report.png")
        _ = try runChromium(chromium, common + ["--screenshot=\(png.path)", "--window-size=1200,900", file.absoluteString],
                            in: folder)
        let image = try Data(contentsOf: png)
        XCTAssertGreaterThan(image.count, 1000)
        XCTAssertEqual(Array(image.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    /// Runs chromium and returns its standard output; stdout and stderr go to files, since a pipe nobody
    /// reads could fill and hang it, and a hung browser is stopped after a minute.
    private func runChromium(_ executable: URL, _ arguments: [String], in folder: URL) throws -> String {
        let stdoutURL = folder.appendingPathComponent("chromium.out"), stderrURL = folder.appendingPathComponent("chromium.err")
        XCTAssertTrue(FileManager.default.createFile(atPath: stdoutURL.path, contents: nil))
        XCTAssertTrue(FileManager.default.createFile(atPath: stderrURL.path, contents: nil))
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + 60) == .timedOut {
            process.terminate()
            XCTFail("chromium did not finish within a minute")
        }
        let errors = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 0, errors)
        return try String(contentsOf: stdoutURL, encoding: .utf8)
    }
}
