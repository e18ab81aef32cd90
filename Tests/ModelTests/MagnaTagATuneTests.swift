import Foundation
import LibraryScanner
import ModelTestSupport
import TestSupport
import XCTest
@testable import Model

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
}
