import Foundation
import LibraryScanner
import TestSupport
import XCTest
@testable import Scoring

final class PlaylistWriterTests: XCTestCase {
    private func track(_ path: String, title: String? = nil, artist: String? = nil, duration: Double? = nil,
                       fit: Double = 50) -> ScoredTrack {
        track(RawPath(path), title: title, artist: artist, duration: duration, fit: fit)
    }

    private func track(_ path: RawPath, title: String? = nil, artist: String? = nil, duration: Double? = nil,
                       fit: Double = 50) -> ScoredTrack {
        ScoredTrack(path: path, size: 1, modificationTimeNs: 1, modelID: "m", title: title, artist: artist,
                    duration: duration, norm: 0, csi: 0, fit: fit, excerptCount: 1, scoredAt: Date(timeIntervalSince1970: 0))
    }

    private func text(_ playlist: PlaylistWriter.Playlist) -> String {
        String(decoding: playlist.data, as: UTF8.self)
    }

    func testAbsolutePathsSpacesUnicodeAndNames() {
        let tracks = [
            track("/music/My Band/01 Song One.mp3", title: "Song One", artist: "My Band", duration: 185.5),
            track("/music/é/日本 語.flac", title: "日本", duration: 59.4),
            track("/music/x/no tags.ogg"),
            track("/music/x/artist only.ogg", artist: "Café", duration: .nan),
        ]
        let playlist = PlaylistWriter().playlist(tracks)
        XCTAssertEqual(playlist.data, Data("""
            #EXTM3U
            #EXTINF:186,My Band - Song One
            /music/My Band/01 Song One.mp3
            #EXTINF:59,日本
            /music/é/日本 語.flac
            #EXTINF:-1,no tags
            /music/x/no tags.ogg
            #EXTINF:-1,Café
            /music/x/artist only.ogg

            """.utf8))
        XCTAssertEqual(playlist.entryCount, 4)
        XCTAssertEqual(playlist.skipped, [])
        // Byte for byte: é is C3 A9 and 日 is E6 97 A5 in the file.
        XCTAssertNotNil(playlist.data.range(of: Data([0x2F, 0xC3, 0xA9, 0x2F, 0xE6, 0x97, 0xA5])))
    }

    func testLineBreaksAndNonUTF8PathsAreSkippedAndTitlesMadeOneLine() {
        let odd = RawPath(bytes: Array("/music/".utf8) + [0xFF] + Array(".mp3".utf8))
        let tracks = [
            track("/music/a\nb.mp3", title: "T"),
            track("/music/c\rd.mp3", title: "T"),
            track(odd, title: "T"),
            track("/music/ok.mp3", title: "Line one\nline two\r\nthree", artist: "A\nB", duration: 1),
        ]
        let playlist = PlaylistWriter().playlist(tracks)
        XCTAssertEqual(text(playlist), "#EXTM3U\n#EXTINF:1,A B - Line one line two  three\n/music/ok.mp3\n")
        XCTAssertEqual(playlist.skipped.map(\.path), [tracks[0].path, tracks[1].path, odd])
        XCTAssertTrue(playlist.skipped[0].reason.contains("line break"))
        XCTAssertTrue(playlist.skipped[2].reason.contains("UTF-8"))
    }

    func testRelativePathsWithParentFoldersAndHashAtStart() {
        let tracks = [
            track("/music/rock/#1 hit.mp3", title: "Hit"),
            track("/music/rock/sub/deep.mp3", title: "Deep"),
            track("/music/jazz/x.mp3", title: "X"),
            track("/other/y.mp3", title: "Y"),
            track("/music/rock/sub/#not first.mp3", title: "N"),
        ]
        let playlist = PlaylistWriter(relativeTo: RawPath("/music/rock/")).playlist(tracks)
        XCTAssertEqual(text(playlist), """
            #EXTM3U
            #EXTINF:-1,Hit
            ./#1 hit.mp3
            #EXTINF:-1,Deep
            sub/deep.mp3
            #EXTINF:-1,X
            ../jazz/x.mp3
            #EXTINF:-1,Y
            ../../other/y.mp3
            #EXTINF:-1,N
            sub/#not first.mp3

            """)
        let dotted = PlaylistWriter(relativeTo: RawPath("/music/./rock/sub/..")).playlist([tracks[2]])
        XCTAssertEqual(text(dotted), "#EXTM3U\n#EXTINF:-1,X\n../jazz/x.mp3\n")
    }

    func testTopAndMinFitKeepTheGivenOrder() {
        let tracks = [
            track("/m/a.mp3", title: "a", fit: 90),
            track("/m/b\n.mp3", title: "b", fit: 85),
            track("/m/c.mp3", title: "c", fit: 40),
            track("/m/d.mp3", title: "d", fit: 80),
            track("/m/e.mp3", title: "e", fit: 70),
            track("/m/f.mp3", title: "f", fit: .nan),
        ]
        let both = PlaylistWriter(top: 2, minFit: 50).playlist(tracks)
        XCTAssertEqual(text(both), "#EXTM3U\n#EXTINF:-1,a\n/m/a.mp3\n#EXTINF:-1,d\n/m/d.mp3\n")
        XCTAssertEqual(both.skipped.map(\.path), [tracks[1].path])
        XCTAssertEqual(PlaylistWriter(top: 1).playlist(tracks).entryCount, 1)
        XCTAssertEqual(PlaylistWriter(minFit: 75).playlist(tracks).entryCount, 2)
        XCTAssertEqual(PlaylistWriter(top: 0).playlist(tracks).data, Data("#EXTM3U\n".utf8))
        XCTAssertEqual(PlaylistWriter().playlist(tracks).entryCount, 5)
    }

    func testWriteReplacesTheFileAtomically() throws {
        let url = try makeTemporaryDirectory().appendingPathComponent("best.m3u8")
        try Data("old contents that are longer".utf8).write(to: url)
        let playlist = PlaylistWriter().playlist([track("/m/a.mp3", title: "a", duration: 2.5)])
        try playlist.write(to: url)
        XCTAssertEqual(try Data(contentsOf: url), playlist.data)
        XCTAssertEqual(text(playlist), "#EXTM3U\n#EXTINF:3,a\n/m/a.mp3\n")
    }
}
