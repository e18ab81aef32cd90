import Foundation
import LibraryScanner
import TestSupport
import XCTest
@testable import Model

/// A MagnaTagATune folder in miniature: annotations_final.csv in the real layout and one short audio file per
/// clip in the hex sub-folders. The "mp3" files hold WAV bytes; the decoder recognises content, not names.
private struct MTTFixture {
    /// Class tag columns in a shuffled order among unrelated tags, so columns must be found by name.
    static let columns = ["clip_id", "guitar", "pop", "hard rock", "classic", "techno", "slow", "clasical", "synth", "rock",
                          "electro", "indian", "classical", "electric", "mp3_path"]

    struct Row {
        var clipID: String
        var tags: Set<String>
        var mp3Path: String { "\(String(Int(clipID)! % 16, radix: 16))/artist-album-\(clipID)-0-29.mp3" }
    }

    /// Per class: its clip count and the tag sets its clips cycle through.
    static let plan: [(MTTClass, Int, [Set<String>])] = [
        (.classical, 11, [["classical"], ["clasical"], ["classic", "slow"], ["classical", "classic"]]),
        (.techno, 10, [["techno"], ["synth"], ["electro"], ["electric", "synth"]]),
        (.rock, 12, [["rock", "guitar"], ["hard rock"], ["rock", "hard rock"]]),
        (.indian, 10, [["indian"]]),
        (.pop, 21, [["pop"]]),
    ]

    /// The kept clips in file order (classes interleaved), and the text of the csv with the extra rows:
    /// line 5 has two classes, line 9 none, line 13 a field too few, line 17 "x" in column pop.
    static func make(quoted: Bool) -> (rows: [Row], csv: String) {
        var queues = plan.map { entry in (0..<entry.1).map { entry.2[$0 % entry.2.count] } }
        var rows: [Row] = []
        var next = 1000
        while queues.contains(where: { !$0.isEmpty }) {
            for index in queues.indices where !queues[index].isEmpty {
                rows.append(Row(clipID: String(next), tags: queues[index].removeFirst()))
                next += 1
            }
        }
        func quote(_ field: String) -> String { quoted ? "\"\(field)\"" : field }
        func line(_ row: Row, dropLast: Bool = false, badPop: Bool = false) -> String {
            var fields = columns.map { column -> String in
                switch column {
                case "clip_id": row.clipID
                case "mp3_path": row.mp3Path
                case "pop" where badPop: "x"
                default: row.tags.contains(column) ? "1" : "0"
                }
            }
            if dropLast { fields.removeLast() }
            return fields.map(quote).joined(separator: "\t")
        }
        var lines = [columns.map(quote).joined(separator: "\t")]
        for (index, row) in rows.enumerated() {
            lines.append(line(row))
            switch index {
            case 2: lines.append(line(Row(clipID: "2", tags: ["classical", "rock", "guitar"])))
            case 5: lines.append(line(Row(clipID: "3", tags: ["guitar", "slow"])))
            case 8: lines.append(line(Row(clipID: "4", tags: ["rock"]), dropLast: true))
            case 11: lines.append(line(Row(clipID: "5", tags: ["pop"]), badPop: true))
            default: break
            }
        }
        return (rows, lines.joined(separator: "\r\n") + "\r\n")
    }

    /// Writes the csv and a `seconds`-long 16 kHz tone per clip, except for `missing` clip ids.
    static func write(to folder: URL, quoted: Bool = true, seconds: Double = 0.25, missing: Set<String> = []) throws -> [Row] {
        let (rows, csv) = make(quoted: quoted)
        try Data(csv.utf8).write(to: folder.appendingPathComponent("annotations_final.csv"))
        for (index, row) in rows.enumerated() where !missing.contains(row.clipID) {
            let file = folder.appendingPathComponent(row.mp3Path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try WAVFile.write(channels: [WAVFile.tone(200 + 20 * Double(index), seconds: seconds, sampleRate: 16000)],
                              sampleRate: 16000, to: file.path)
        }
        return rows
    }
}

final class MagnaTagATuneTests: XCTestCase {
    func testClassesAndTheirTags() {
        XCTAssertEqual(MTTClass.allCases.map(\.name), ["classical", "techno", "rock", "indian", "pop"])
        XCTAssertEqual(MTTClass(name: "Rock"), .rock)
        XCTAssertNil(MTTClass(name: "jazz"))
        XCTAssertEqual(MTTClass.classical.tags, ["classical", "clasical", "classic"])
        XCTAssertEqual(MTTClass.rock.tags, ["rock", "hard rock"])
    }

    func testTrainCountIsTheCeilingOfNinetyPercent() {
        XCTAssertEqual([0, 1, 2, 9, 10, 11, 20, 21, 100, 101].map(MTTSubset.trainCount(of:)), [0, 1, 2, 9, 9, 10, 18, 19, 90, 91])
    }

    func testEachClipGetsTheOneClassItsTagsName() throws {
        let folder = try makeTemporaryDirectory()
        let rows = try MTTFixture.write(to: folder)
        let annotations = try MTTAnnotations.read(contentsOf: folder.appendingPathComponent("annotations_final.csv").path)
        XCTAssertEqual(annotations.rowCount, 64 + 4)
        XCTAssertEqual(annotations.clips.count, 64)
        XCTAssertEqual(annotations.clips.map(\.clipID), rows.map(\.clipID), "file order")
        XCTAssertEqual(annotations.ambiguousCount, 1)
        XCTAssertEqual(annotations.untaggedCount, 1)
        XCTAssertEqual(annotations.missingTagColumns, [])
        let classOf = Dictionary(uniqueKeysWithValues: annotations.clips.map { ($0.clipID, $0.mttClass) })
        for row in rows {
            let expected = MTTFixture.plan.first { entry in entry.2.contains(row.tags) }!.0
            XCTAssertEqual(classOf[row.clipID], expected, "clip \(row.clipID) tagged \(row.tags.sorted())")
        }
        let byTags = { (tags: Set<String>) in rows.first { $0.tags == tags }!.clipID }
        XCTAssertEqual(classOf[byTags(["clasical"])], .classical)
        XCTAssertEqual(classOf[byTags(["hard rock"])], .rock)
        XCTAssertEqual(classOf[byTags(["electric", "synth"])], .techno)
        XCTAssertEqual(annotations.clips.first!.mp3Path, rows.first!.mp3Path, "quotes stripped")
        XCTAssertEqual(annotations.clips.first!.line, 2)
    }

    func testUnquotedFieldsReadLikeQuotedOnes() throws {
        let quoted = try MTTAnnotations.parse(Data(MTTFixture.make(quoted: true).csv.utf8), fileName: "q.csv")
        let plain = try MTTAnnotations.parse(Data(MTTFixture.make(quoted: false).csv.utf8), fileName: "p.csv")
        XCTAssertEqual(plain.clips, quoted.clips)
        XCTAssertEqual(plain.problems.count, 2)
    }

    func testMalformedRowsAreSkippedWithFileLineAndColumn() throws {
        let annotations = try MTTAnnotations.parse(Data(MTTFixture.make(quoted: true).csv.utf8), fileName: "annotations_final.csv")
        XCTAssertEqual(annotations.problems.map(\.line), [13, 17])
        XCTAssertEqual(annotations.problems[0].description, "annotations_final.csv:13: has 14 fields, the header has 15; row skipped")
        XCTAssertEqual(annotations.problems[1].column, "pop")
        XCTAssertEqual(annotations.problems[1].description,
                       "annotations_final.csv:17, column 'pop': expected 0 or 1, got 'x'; row skipped")
        XCTAssertFalse(annotations.clips.contains { ["4", "5"].contains($0.clipID) })
    }

    func testHeaderWithoutAColumnIsAnErrorNamingIt() throws {
        let csv = "\"clip_id\"\t\"rock\"\t\"pop\"\n\"1\"\t\"1\"\t\"0\"\n"
        XCTAssertThrowsError(try MTTAnnotations.parse(Data(csv.utf8), fileName: "/data/annotations_final.csv")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("/data/annotations_final.csv:1: header has no column 'mp3_path'"), message)
            XCTAssertTrue(message.contains("clip_id, rock, pop"), message)
        }
        let commas = "clip_id,rock,mp3_path\n1,1,a/x.mp3\n"
        XCTAssertThrowsError(try MTTAnnotations.parse(Data(commas.utf8), fileName: "a.csv")) { error in
            XCTAssertTrue("\(error)".contains("no column 'clip_id' or 'mp3_path' (one column only: is it tab-separated?)"), "\(error)")
        }
    }

    func testMissingClassTagColumnsAreListedNotFatal() throws {
        let csv = "clip_id\trock\tpop\tmp3_path\n1\t1\t0\t0/a.mp3\n2\t1\t1\t0/b.mp3\n"
        let annotations = try MTTAnnotations.parse(Data(csv.utf8), fileName: "a.csv")
        XCTAssertEqual(annotations.clips.map(\.clipID), ["1"])
        XCTAssertTrue(annotations.missingTagColumns.contains("hard rock"))
        XCTAssertTrue(annotations.missingTagColumns.contains("clasical"))
    }

    func testMissingFolderOrCSVSaysHowTheLayoutMustLook() throws {
        let folder = try makeTemporaryDirectory()
        for path in [folder.appendingPathComponent("nowhere").path, folder.path] {
            XCTAssertThrowsError(try MTTSubset.load(folder: path)) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(path), message)
                XCTAssertTrue(message.contains("annotations_final.csv (tab-separated"), message)
                XCTAssertTrue(message.contains("sub-folders 0…9 and a…f"), message)
            }
        }
    }

    func testSplitIsTheFirstNinetyPercentInFileOrderAndMissingFilesAreSkipped() throws {
        let folder = try makeTemporaryDirectory()
        let rows = try MTTFixture.write(to: folder, missing: ["1000"])
        let subset = try MTTSubset.load(folder: folder.path)
        XCTAssertEqual(MTTClass.allCases.map { subset.train[$0]!.count }, [10, 9, 11, 9, 19])
        XCTAssertEqual(MTTClass.allCases.map { subset.test[$0]!.count }, [1, 1, 1, 1, 2])
        for mttClass in MTTClass.allCases {
            let inOrder = subset.annotations.clips.filter { $0.mttClass == mttClass }
            XCTAssertEqual(subset.train[mttClass]! + subset.test[mttClass]!, inOrder)
        }
        // Clip 1000 (the first classical clip) has no file: skipped, but still on the training side.
        XCTAssertEqual(subset.skipped.count, 1)
        XCTAssertEqual(subset.skipped[0].path.displayString, folder.appendingPathComponent(rows[0].mp3Path).path)
        XCTAssertTrue(subset.skipped[0].reason.contains("clip 1000 (line 2)"), subset.skipped[0].reason)
        XCTAssertEqual(subset.train[.classical]!.first!.clipID, "1000")
        XCTAssertEqual(subset.tracks.count, 63)
        XCTAssertEqual(subset.tracks[rows[1].mp3Path]?.group, "techno")
    }

    func testOneClassSplitTestsTheClassAgainstEveryOtherClassesTestClips() throws {
        let folder = try makeTemporaryDirectory()
        _ = try MTTFixture.write(to: folder, missing: ["1000"])
        let subset = try MTTSubset.load(folder: folder.path)

        let rock = subset.split(inClass: .rock, validationFraction: 0.1, seed: 7)
        XCTAssertEqual(rock.train.count, 10)
        XCTAssertEqual(rock.validation.count, 1)
        XCTAssertEqual(Set(rock.train + rock.validation), Set(subset.train[.rock]!.map { subset.tracks[$0.mp3Path]! }))
        XCTAssertEqual(rock.test.count, 6)
        XCTAssertEqual(rock.testIsInClass, [true, false, false, false, false, false])
        XCTAssertEqual(rock.test.map { $0.group! }, ["rock", "classical", "techno", "indian", "pop", "pop"])
        XCTAssertEqual(rock.test[0].title, subset.test[.rock]![0].clipID)

        let classical = subset.split(inClass: .classical, validationFraction: 0.1, seed: 7)
        XCTAssertEqual(classical.train.count + classical.validation.count, 9, "the clip without a file is left out")
        XCTAssertEqual(classical.testIsInClass.filter { $0 }.count, 1)
        XCTAssertEqual(classical.test.count, 6)
        XCTAssertEqual(subset.split(inClass: .pop, validationFraction: 0, seed: 7).train.count, 19)
    }

    func testFixtureClipsDecodeThroughTheCache() throws {
        let folder = try makeTemporaryDirectory()
        _ = try MTTFixture.write(to: folder, seconds: 0.5)
        let subset = try MTTSubset.load(folder: folder.path)
        let split = subset.split(inClass: .indian, validationFraction: 0.1, seed: 1)
        let cache = try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000)
        let decoded = MusicCollection.decode(split.test, cache: cache, threads: 2)
        XCTAssertEqual(decoded.skipped.count, 0)
        XCTAssertEqual(decoded.tracks, split.test)
        XCTAssertEqual(decoded.pcm.map(\.count), Array(repeating: 8000, count: 6))
    }

    func testMusicExperimentRunsOnAnMTTSplit() throws {
        let folder = try makeTemporaryDirectory()
        _ = try MTTFixture.write(to: folder, seconds: 3)
        let subset = try MTTSubset.load(folder: folder.path)
        var config = RunConfig.musicPreset()
        config.datasetName = .mtt
        config.tasteScore = .csi
        config.epochs = 1
        config.excerptsPerTrack = 1
        config.batchSize = 4
        config.evalSamples = 1
        config.maxExcerptsPerTrack = 0
        config.logDirectory = folder.appendingPathComponent("run").path
        let split = subset.split(inClass: .techno, validationFraction: 0.2, seed: 1)
        let experiment = MusicExperiment(config: config, split: split,
                                         cache: try PCMCache(folder: folder.appendingPathComponent("cache").path, sampleRate: 16000),
                                         label: MTTClass.techno.name)
        let report = try experiment.run(log: try TrainingLog(directory: config.effectiveLogDirectory, config: config)) { _ in }
        XCTAssertEqual(report.dataset, "mtt")
        XCTAssertEqual(report.liked, "techno")
        XCTAssertEqual(report.trainTracks + report.validationTracks, 9)
        XCTAssertEqual(report.heldOutTracks, 1)
        XCTAssertEqual(report.outlierTracks, ["classical": 1, "rock": 1, "indian": 1, "pop": 2])
        XCTAssertEqual(report.perGroup.keys.sorted(), ["classical", "indian", "pop", "rock"])
        XCTAssertEqual(report.overall.outliers, 5)
        XCTAssertNotNil(report.overall.track.csi)
        XCTAssertEqual(report.overall.track.ranked, report.overall.track.csi, "ranked by CSI alone")
        XCTAssertNotNil(report.overall.excerpt.norm)
    }
}
