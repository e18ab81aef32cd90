import XCTest
@testable import LibraryScanner

final class AudioFormatTests: FolderTestCase {
    /// An ID3v2.4 header announcing a tag body of `size` bytes (syncsafe), followed by that many zero bytes.
    private func id3Tag(bodySize size: Int) -> [UInt8] {
        let syncsafe = [size >> 21, size >> 14, size >> 7, size].map { UInt8($0 & 0x7F) }
        return Array("ID3".utf8) + [4, 0, 0] + syncsafe + [UInt8](repeating: 0, count: size)
    }

    func testAnID3TagIsLookedPast() throws {
        let flac = try FixtureWriter.writeTone(.flac, to: folder.appending("plain.flac"))
        let tagged = folder.appending("tagged-flac")
        try FixtureWriter.writeBytes(id3Tag(bodySize: 5000) + FixtureWriter.readBytes(flac), to: tagged)
        XCTAssertEqual(try AudioFormat.detect(path: tagged), .flac)

        let mp3 = try FixtureWriter.writeTone(.mp3, seconds: 2, to: folder.appending("tagged.mp3"))
        try FixtureWriter.writeTags(title: "T", artist: "A", album: "B", genre: "G", year: 1999, track: 2, to: mp3)
        XCTAssertEqual(Array(try FixtureWriter.readBytes(mp3).prefix(3)), Array("ID3".utf8))
        XCTAssertEqual(try AudioFormat.detect(path: mp3), .mp3)
        XCTAssertEqual(try AudioDecoder().decode(path: mp3).sourceDuration, 2, accuracy: 0.06)
    }

    func testBytesThatOnlyLookLikeAFrameSyncAreNotMP3() {
        // 0xFF 0xFB is a valid MPEG-1 layer III header start, but no second frame follows where it should.
        XCTAssertNil(AudioFormat.sniff([0xFF, 0xFB, 0x90, 0x00] + [UInt8](repeating: 0x41, count: 2000)))
        XCTAssertNil(AudioFormat.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}AVI LIST".utf8)))
        XCTAssertEqual(AudioFormat.sniff(Array("FORM\u{0}\u{0}\u{0}\u{0}AIFC".utf8)), .aiff)
    }

    func testRawPathHelpers() {
        let path = RawPath("/music/Album/.hidden.FLAC")
        XCTAssertEqual(path.lowercasedExtension, "flac")
        XCTAssertTrue(path.isHidden)
        XCTAssertNil(RawPath("/music/.profile").lowercasedExtension)
        XCTAssertTrue(path.isInside(RawPath("/music")))
        XCTAssertTrue(path.isInside(RawPath("/music/")))
        XCTAssertFalse(RawPath("/musical/x.mp3").isInside(RawPath("/music")))
        XCTAssertEqual(RawPath("/a").appending([0xFF]).bytes, Array("/a/".utf8) + [0xFF])
        XCTAssertLessThan(RawPath("/a/b"), RawPath("/a/c"))
    }
}
