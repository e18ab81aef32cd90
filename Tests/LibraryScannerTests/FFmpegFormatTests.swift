import Foundation
import TestSupport
import XCTest
@testable import LibraryScanner

/// The formats only FFmpeg reads here, on files Debian's ffmpeg encoders write (`make test` installs ffmpeg): each
/// decodes to its length and frequency, its tags come through, and damaged or protected ones are failures with reasons.
final class FFmpegFormatTests: FolderTestCase {
    private let tags = ["-metadata", "title=Tone", "-metadata", "artist=Maker", "-metadata", "album=Fixtures", "-metadata", "track=3"]

    /// (file name, encoder arguments, detected format, carries tags)
    private let formats: [(String, [String], AudioFormat, Bool)] = [
        ("aac.m4a", ["-c:a", "aac"], .mp4, true), ("alac.m4a", ["-c:a", "alac"], .mp4, true),
        ("tone.wma", ["-c:a", "wmav2"], .asf, true), ("tone.mp2", ["-c:a", "mp2"], .mp3, false),
        ("tone.ac3", ["-c:a", "ac3"], .ac3, false), ("tone.webm", ["-c:a", "libopus"], .matroska, true),
        ("tone.mka", ["-c:a", "libvorbis"], .matroska, true), ("tone.wv", ["-c:a", "wavpack"], .wavpack, true),
        ("tone.tta", ["-c:a", "tta"], .tta, true), ("adts.aac", ["-c:a", "aac", "-f", "adts"], .aac, false),
    ]

    override func setUpWithError() throws {
        try super.setUpWithError()
        try FixtureWriter.requireFFmpeg()
    }

    /// Writes a 6 s, 440 Hz tone at 44.1 kHz with `arguments` into the test folder.
    @discardableResult
    private func encode(_ name: String, _ arguments: [String], input: String = "sine=frequency=440:duration=6:sample_rate=44100")
        throws -> RawPath {
        try FixtureWriter.encodeWithFFmpeg(input: input, arguments: arguments, to: folder.appending(name))
    }

    func testEveryFormatDecodesWithItsLengthFrequencyAndTags() throws {
        let decoder = AudioDecoder()
        for (name, arguments, format, _) in formats {
            let path = try encode(name, arguments + tags)
            let audio = try decoder.decode(path: path)
            XCTAssertEqual(audio.format, format, name)
            XCTAssertEqual(audio.sourceDuration, 6, accuracy: 0.1, name)
            let middle = Array(audio.samples[16_000..<80_000])
            XCTAssertEqual(Signals.zeroCrossingFrequency(middle, sampleRate: 16_000), 440, accuracy: 3, name)
        }
        let catalog = try TrackCatalog(path: folder.appending("library.sqlite").displayString)
        let summary = try LibraryScan().scan(folders: [folder], catalog: catalog)
        XCTAssertEqual(summary.failed, 0)
        let tracks = try catalog.tracks()
        XCTAssertEqual(tracks.count, formats.count)
        for (name, _, format, carriesTags) in formats {
            let track = try XCTUnwrap(tracks.first { $0.path.displayString.hasSuffix(name) }, name)
            XCTAssertEqual(track.format, format, name)
            XCTAssertEqual(track.duration ?? 0, 6, accuracy: 0.1, name)
            guard carriesTags else { continue }
            XCTAssertEqual(track.tags.title, "Tone", name)
            XCTAssertEqual(track.tags.artist, "Maker", name)
            XCTAssertEqual(track.tags.album, "Fixtures", name)
            XCTAssertEqual(track.tags.trackNumber, 3, name)
        }
    }

    func testTheContentDecidesNotTheName() throws {
        let path = try encode("song.txt", ["-c:a", "aac", "-f", "ipod"])
        XCTAssertEqual(try AudioFormat.detect(path: path), .mp4)
    }

    func testDamagedProtectedAndVideoFilesAreFailuresWithReasons() throws {
        let good = try encode("good.m4a", ["-c:a", "aac"])
        let bytes = try FixtureWriter.readBytes(good)
        try FixtureWriter.writeBytes(Array(bytes.prefix(bytes.count / 3)), to: folder.appending("truncated.m4a"))
        try FixtureWriter.writeBytes((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }, to: folder.appending("random.m4a"))
        try FixtureWriter.writeBytes([], to: folder.appending("empty.m4a"))
        // An iTunes-protected track: the sample entry says "drms" where a plain one says "mp4a".
        let entry = Array("mp4a".utf8)
        let at = try XCTUnwrap((0...(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == entry })
        try FixtureWriter.writeBytes(Array(bytes[..<at]) + Array("drms".utf8) + Array(bytes[(at + 4)...]), to: folder.appending("drm.m4a"))
        try encode("clip.mp4", ["-f", "lavfi", "-i", "testsrc=duration=2:size=64x64", "-t", "2", "-shortest"])
        try FileManager.default.removeItem(atPath: good.displayString)

        let catalog = try TrackCatalog(path: folder.appending("library.sqlite").displayString)
        let summary = try LibraryScan().scan(folders: [folder], catalog: catalog)
        XCTAssertEqual(summary.failed, 5, "every damaged file is a failure, none is dropped silently")
        let failures = Dictionary(try catalog.failures().map { ($0.path.lastComponentString, $0.reason) }, uniquingKeysWith: { a, _ in a })
        XCTAssertTrue(failures["truncated.m4a"]?.contains("ffmpeg error") ?? false, "\(failures)")
        XCTAssertTrue(failures["random.m4a"]?.contains("not a recognised audio format") ?? false, "\(failures)")
        XCTAssertTrue(failures["empty.m4a"]?.contains("empty") ?? false, "\(failures)")
        XCTAssertTrue(failures["drm.m4a"]?.contains("protected") ?? false, "\(failures)")
        XCTAssertTrue(failures["clip.mp4"]?.contains("video") ?? false, "\(failures)")
    }
}

private extension RawPath {
    var lastComponentString: String { String(decoding: lastComponent, as: UTF8.self) }
}
