import XCTest
@testable import LibraryScanner

final class TagReaderTests: FolderTestCase {
    func testTagsRoundTripInTaggableFormats() throws {
        for format in [FixtureFormat.mp3, .flac, .oggVorbis] {
            let path = try FixtureWriter.writeTone(format, seconds: 2,
                                                   to: folder.appending("tagged.\(format.fileExtension)"))
            try FixtureWriter.writeTags(title: "Señor Blues", artist: "Horace Silver", album: "Six Pieces of Silver",
                                        genre: "Jazz", year: 1956, track: 3, to: path)
            let tags = try TagReader().read(path: path, format: format.detected)
            XCTAssertEqual(tags.title, "Señor Blues", "\(format)")
            XCTAssertEqual(tags.artist, "Horace Silver")
            XCTAssertEqual(tags.album, "Six Pieces of Silver")
            XCTAssertEqual(tags.genre, "Jazz")
            XCTAssertEqual(tags.year, 1956)
            XCTAssertEqual(tags.trackNumber, 3)
            XCTAssertEqual(tags.duration, 2, "\(format)")
            XCTAssertEqual(tags.sampleRate, 44100)
            XCTAssertEqual(tags.channelCount, 2)
            XCTAssertNotNil(tags.bitrate)
        }
    }

    func testMissingTagsAreNil() throws {
        let path = try FixtureWriter.writeTone(.flac, to: folder.appending("plain.flac"))
        let tags = try TagReader().read(path: path)
        XCTAssertNil(tags.title)
        XCTAssertNil(tags.artist)
        XCTAssertNil(tags.year)
        XCTAssertNil(tags.trackNumber)
        XCTAssertEqual(tags.sampleRate, 44100)
    }

    func testContentFormatBeatsAWrongExtension() throws {
        let path = try FixtureWriter.writeTone(.flac, to: folder.appending("plain.flac"))
        try FixtureWriter.writeTags(title: "Named", artist: "A", album: "B", genre: "C", year: 2000, track: 1,
                                    to: path)
        let renamed = folder.appending("renamed.dat")
        try FixtureWriter.move(path, to: renamed)
        XCTAssertEqual(try TagReader().read(path: renamed, format: .flac).title, "Named")
    }

    func testNonAudioGivesNoTagsAndAMissingFileThrows() throws {
        // TagLib accepts an MPEG file without frames; what matters is that nothing is invented and nothing crashes.
        let path = folder.appending("text.mp3")
        try FixtureWriter.writeBytes(Array("hello".utf8), to: path)
        let tags = try TagReader().read(path: path)
        XCTAssertNil(tags.title)
        XCTAssertNil(tags.duration)
        XCTAssertThrowsError(try TagReader().read(path: folder.appending("missing.flac"))) { error in
            XCTAssertEqual((error as? AudioFileError)?.origin, .taglib)
            XCTAssertTrue("\(error)".contains("missing.flac"))
        }
    }
}
