import Foundation
import Scoring
import TestSupport
import XCTest

/// The `tunescore` binary end to end, as a user runs it: exit codes, messages, the whole music loop,
/// two scorers at once and a scorer killed mid-run.
final class CommandLineTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tunescore-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// The binary SwiftPM built next to the test bundle.
    var binary: URL {
        var url = Bundle(for: CommandLineTests.self).bundleURL
        while url.pathExtension == "xctest" || url.lastPathComponent.hasSuffix(".xctest") { url.deleteLastPathComponent() }
        return url.appendingPathComponent("tunescore")
    }

    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Starts `tunescore arguments` in the test's folder, its data and cache folders inside it; `executable` (e.g. strace)
    /// runs in its place, with the same folder and environment; `extraEnvironment` is added to it.
    func start(_ arguments: [String], executable: URL? = nil, extraEnvironment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = executable ?? binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_DATA_HOME"] = folder.appendingPathComponent("data").path
        environment["XDG_CACHE_HOME"] = folder.appendingPathComponent("cache").path
        environment.merge(extraEnvironment) { $1 }
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        return (process, output, errors)
    }

    func finish(_ started: (Process, Pipe, Pipe)) -> Run {
        let (process, output, errors) = started
        let out = output.fileHandleForReading.readDataToEndOfFile(), err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self), errors: String(decoding: err, as: UTF8.self))
    }

    func run(_ arguments: String...) throws -> Run { finish(try start(arguments)) }
    func run(_ arguments: [String]) throws -> Run { finish(try start(arguments)) }

    private func writeTones(in sub: String, count: Int, base: Double, seconds: Double = 3) throws {
        let dir = folder.appendingPathComponent(sub)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for i in 0..<count {
            let samples = Signals.tone(frequency: base + 37 * Double(i), seconds: seconds, sampleRate: 22050)
            try WAVFile.write(channels: [samples], sampleRate: 22050, to: dir.appendingPathComponent("\(sub.replacingOccurrences(of: "/", with: "_"))-\(i).wav").path)
        }
    }

    /// Small enough to train in seconds in a debug build.
    private let tinyTraining = ["--set", "epochs=1", "--set", "excerpts_per_track=2", "--set", "epoch_items=0", "--set", "batchsize=4", "--set", "eval_samples=1",
                                "--set", "max_excerpts_per_track=2"]

    private func trainTinyModel() throws {
        try writeTones(in: "liked", count: 5, base: 300)
        let trained = try run(["train", "--liked", "liked", "--name", "tones", "--db", "library.sqlite"] + tinyTraining)
        XCTAssertEqual(trained.status, 0, trained.errors)
        XCTAssertTrue(trained.output.contains("model 'tones'"), trained.output)
    }

    func testConfigErrorNamesTheKeyAndExitsWith2() throws {
        try Data(#"{"epochz": 3}"#.utf8).write(to: folder.appendingPathComponent("bad.json"))
        let result = try run("train", "--liked", ".", "--config", "bad.json")
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.errors.contains("epochz") && result.errors.contains("did you mean 'epochs'"), result.errors)
        let badSet = try run("train", "--liked", ".", "--set", "lr=fast")
        XCTAssertEqual(badSet.status, 2)
        XCTAssertTrue(badSet.errors.contains("lr"), badSet.errors)
    }

    func testATypoedKeyOnTheCommandLineSuggestsTheNearestKey() throws {
        let result = try run("config", "--set", "epocs=3")
        XCTAssertEqual(result.status, 2, result.errors)
        XCTAssertTrue(result.errors.contains("epocs") && result.errors.contains("did you mean 'epochs'?"), result.errors)
        XCTAssertEqual(result.output, "", "nothing printed as a config")
    }

    func testAnUnknownKeyFarFromAnyPointsToTheKeyList() throws {
        let result = try run("config", "--set", "qqqqqqqqqqqq=1")
        XCTAssertEqual(result.status, 2, result.errors)
        XCTAssertTrue(result.errors.contains("qqqqqqqqqqqq") && result.errors.contains("`tunescore config --keys` lists the keys"), result.errors)
        XCTAssertFalse(result.errors.contains("did you mean"), result.errors)
    }

    func testARunFailureExitsWith1AndNamesTheFile() throws {
        try writeTones(in: "music", count: 1, base: 300)
        try Data("not a database, just text that is long enough to be read as a header".utf8)
            .write(to: folder.appendingPathComponent("broken.sqlite"))
        let result = try run("scan", "music", "--db", "broken.sqlite")
        XCTAssertEqual(result.status, 1, result.errors)
        XCTAssertTrue(result.errors.contains("broken.sqlite"), result.errors)
    }

    func testBenchGenresRefusesZeroRepeats() throws {
        let result = try run("bench", "genres", "--data", ".", "--liked", "x", "--repeats", "0")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.errors.contains("--repeats must be at least 1"), result.errors)
    }

    func testBenchGenresRefusesRepeatsWithSplits() throws {
        let zero = try run("bench", "genres", "--data", ".", "--liked", "x", "--splits", "0")
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.errors.contains("--splits must be at least 1"), zero.errors)
        let both = try run("bench", "genres", "--data", ".", "--liked", "x", "--repeats", "2", "--splits", "2")
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.errors.contains("do not combine"), both.errors)
    }

    func testBenchGenresLikedAllRanksEveryStyleByTheRankedScore() throws {
        try writeTones(in: "styles/low", count: 5, base: 300)
        try writeTones(in: "styles/mid", count: 5, base: 1500)
        try writeTones(in: "styles/high", count: 5, base: 5000)
        let result = try run("bench", "genres", "--data", "styles", "--liked", "all", "--json", "--set", "log_dir=runs")
        XCTAssertEqual(result.status, 0, result.errors)
        let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as! [String: Any]
        let styles = report["styles"] as! [String: [String: Any]]
        XCTAssertEqual(styles.keys.sorted(), ["high", "low", "mid"])
        for (style, series) in styles {
            let run = (series["runs"] as! [[String: Any]])[0]
            XCTAssertEqual(run["rankedBy"] as? String, "descriptor")
            XCTAssertEqual((run["trainFiles"] as! [String]).count, 4, "70 % of 5 tracks, validation included")
            XCTAssertTrue((run["trainFiles"] as! [String]).allSatisfy { $0.contains("styles/\(style)/") })
            let overall = (run["overall"] as! [String: Any])["track"] as! [String: Any]
            XCTAssertEqual(overall["ranked"] as? Double, 1.0, "tones an octave and more apart rank their own style first (\(style))")
            XCTAssertNotNil((run["overall"] as! [String: Any])["precisionAt10"] as? Double)
            XCTAssertEqual(Set((run["perGroup"] as! [String: Any]).keys), Set(["high", "low", "mid"]).subtracting([style]))
        }
        XCTAssertEqual(report["meanTrackAUROC"] as? Double, 1.0)
        XCTAssertTrue(result.errors.contains("mean over 3 styles"), result.errors)
    }

    func testAMissingLikedFolderNamesTheOption() throws {
        let result = try run("train", "--liked", "nowhere", "--db", "library.sqlite")
        XCTAssertEqual(result.status, 2, "a usage error, as a config error")
        XCTAssertTrue(result.errors.contains("--liked nowhere: no such file or folder"), result.errors)
        XCTAssertFalse(result.errors.contains("path_data"), "a key the user never typed: \(result.errors)")
    }

    func testUnreadableDescriptorSpaceNamesTheKey() throws {
        try writeTones(in: "liked", count: 3, base: 300)
        try Data("{}".utf8).write(to: folder.appendingPathComponent("space.json"))
        let result = try run("train", "--liked", "liked", "--db", "library.sqlite", "--set", "descriptor_space=space.json")
        XCTAssertEqual(result.status, 2, result.errors)
        XCTAssertTrue(result.errors.contains("descriptor_space") && result.errors.contains("not a descriptor space"), result.errors)
    }

    func testKnownDislikesGoIntoTheModel() throws {
        try writeTones(in: "liked", count: 4, base: 300)
        try writeTones(in: "skipped", count: 2, base: 5000)
        let trained = try run("train", "--liked", "liked", "--disliked", "skipped", "--name", "picky", "--db", "library.sqlite")
        XCTAssertEqual(trained.status, 0, trained.errors)
        XCTAssertTrue(trained.output.contains("4 liked tracks described, 2 disliked"), trained.output)
        let profile = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(
            "data/tunescore/models/picky/profile.json"))) as! [String: Any]
        XCTAssertEqual((profile["dislikedEmbeddings"] as? [[Double]])?.count, 2)
        let alone = try run("train", "--disliked", "skipped")
        XCTAssertNotEqual(alone.status, 0)
        XCTAssertTrue(alone.errors.contains("--disliked goes with --liked"), alone.errors)
    }

    func testMissingModelSaysHowToTrainOne() throws {
        try writeTones(in: "new", count: 1, base: 500)
        let result = try run("score", "new", "--model", "nothing-here", "--db", "library.sqlite")
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.errors.contains("no trained model") && result.errors.contains("tunescore train --liked"), result.errors)
    }

    func testTrainScoreExportReport() throws {
        try trainTinyModel()
        try writeTones(in: "new/near", count: 2, base: 320)
        try writeTones(in: "new/far", count: 2, base: 5000)
        let scored = try run("score", "new", "--model", "tones", "--db", "library.sqlite", "--json")
        XCTAssertEqual(scored.status, 0, scored.errors)
        let lines = scored.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let fits = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }.map { $0["fit"] as! Double }
        XCTAssertEqual(fits, fits.sorted(by: >), "best fit first")
        XCTAssertTrue(scored.errors.contains("0 from the cache, 4 scored now"), scored.errors)

        let again = try run("score", "new", "--model", "tones", "--db", "library.sqlite")
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(again.errors.contains("4 from the cache, 0 scored now"), again.errors)
        XCTAssertTrue(again.output.contains("because you liked"), again.output)

        let exported = try run("export", "--out", "new.m3u8", "--top", "3", "--db", "library.sqlite")
        XCTAssertEqual(exported.status, 0, exported.errors)
        let playlist = try String(contentsOf: folder.appendingPathComponent("new.m3u8"), encoding: .utf8)
        XCTAssertTrue(playlist.hasPrefix("#EXTM3U\n#EXTINF:3,"), playlist)
        XCTAssertEqual(playlist.split(separator: "\n").filter { $0.hasPrefix("/") }.count, 3)

        let report = try run("report", "--out", "report.html", "--expected", "new/near", "--db", "library.sqlite")
        XCTAssertEqual(report.status, 0, report.errors)
        XCTAssertTrue(report.output.contains("AUROC") && report.output.contains("2 expected tracks vs 2 others"), report.output)
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "class=\"track\"").count - 1, 4)

        let single = try run("evaluate", "new/near/new_near-0.wav", "--model", "tones")
        XCTAssertEqual(single.status, 0, single.errors)
        XCTAssertTrue(single.output.contains("fit ") && single.output.contains("because you liked liked-"), single.output)
        try Data("RIFF garbage".utf8).write(to: folder.appendingPathComponent("broken.wav"))
        let broken = try run("evaluate", "broken.wav", "--model", "tones")
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.errors.contains("broken.wav"), broken.errors)
    }

    func testTwoScorersAtOnceBothFinish() throws {
        try trainTinyModel()
        try writeTones(in: "a", count: 6, base: 400)
        try writeTones(in: "b", count: 6, base: 900)
        let first = try start(["score", "a", "--model", "tones", "--db", "library.sqlite"])
        let second = try start(["score", "b", "--model", "tones", "--db", "library.sqlite"])
        for result in [finish(first), finish(second)] {
            XCTAssertEqual(result.status, 0, result.errors)
            XCTAssertFalse(result.errors.contains("locked"), result.errors)
        }
        let cache = try ScoreCache(path: folder.appendingPathComponent("library.sqlite").path)
        XCTAssertEqual(try cache.count(), 12)
        XCTAssertEqual(try cache.integrityCheck(), "ok")
    }

    func testScorerKilledMidRunResumesWithoutLossOrDuplicates() throws {
        try trainTinyModel()
        try writeTones(in: "many", count: 40, base: 200, seconds: 2)
        let database = folder.appendingPathComponent("library.sqlite").path
        let cache = try ScoreCache(path: database)
        let victim = try start(["score", "many", "--model", "tones", "--db", "library.sqlite"])
        // Kill it once the first batch is in the database (or when it finishes first, which also proves nothing is lost).
        while victim.0.isRunning, try cache.count() == 0 { usleep(20_000) }
        kill(victim.0.processIdentifier, SIGKILL)
        _ = finish(victim)
        XCTAssertEqual(try cache.integrityCheck(), "ok")
        let savedBeforeKill = try cache.count()
        XCTAssertLessThan(savedBeforeKill, 40, "the scorer was killed before it finished")
        let rerun = try run("score", "many", "--model", "tones", "--db", "library.sqlite")
        XCTAssertEqual(rerun.status, 0, rerun.errors)
        XCTAssertTrue(rerun.errors.contains("\(savedBeforeKill) from the cache"), rerun.errors)
        XCTAssertEqual(try cache.count(), 40, "every track once")
        XCTAssertEqual(try cache.integrityCheck(), "ok")
    }
}
