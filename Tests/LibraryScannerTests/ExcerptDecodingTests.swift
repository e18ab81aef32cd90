import Foundation
import XCTest
@testable import LibraryScanner

/// Scoring decodes only its excerpts (seeking, never the whole file): every decoder must give there the samples a whole
/// decode gives, and plan from the length a whole decode has.
final class ExcerptDecodingTests: FolderTestCase {
    private let decoder = AudioDecoder()
    private let length = 43_680
    private static let seconds = 20.0

    /// A rising chirp, so that a sample from the wrong place differs.
    private static func chirp(sampleRate: Int) -> [Float] {
        (0..<Int(seconds * Double(sampleRate))).map { i in
            let t = Double(i) / Double(sampleRate)
            return Float(0.5 * sin(2 * Double.pi * (200 * t + 30 * t * t)))
        }
    }

    /// Starts at the beginning, in the middle (off any block boundary) and so near the end that the excerpt is short.
    private func plan(_ sampleCount: Int) -> [Int] { [0, 3 * length + 17, 200_000, sampleCount - 20_000] }

    /// Decodes `path` both ways and compares: same planned length, same samples at every excerpt (within `tolerance`).
    private func assertExcerptsMatchWholeDecode(_ path: RawPath, tolerance: Float, seeks: Bool = true,
                                                file: StaticString = #filePath, line: UInt = #line) throws {
        let name = path.fileStem
        let whole = try decoder.decode(path: path).samples
        let excerpts = try decoder.decodeExcerpts(path: path, length: length, plan: plan)
        XCTAssertEqual(excerpts.decodedWhole, !seeks, name, file: file, line: line)
        // The container's length, within 20 ms of what a whole decode gives (Ogg Opus counts its pre-skip, FFmpeg's AAC
        // decoder keeps the last frame's padding): excerpt places move only when that crosses a multiple of an excerpt.
        XCTAssertEqual(excerpts.sampleCount, whole.count, accuracy: 320, "\(name): planned from the whole decode's length", file: file, line: line)
        XCTAssertEqual(excerpts.excerpts.map(\.start), plan(excerpts.sampleCount), name, file: file, line: line)
        // The last 10 ms are left out of the comparison: there a lossy codec's end padding begins (AAC), and a whole
        // decode and a decode from a seek disagree about the last frame.
        let compared = min(excerpts.sampleCount, whole.count) - 160
        for excerpt in excerpts.excerpts {
            let expected = whole[excerpt.start..<min(excerpt.start + length, whole.count)]
            XCTAssertEqual(excerpt.samples.count, expected.count, accuracy: 320, "\(name) at \(excerpt.start)", file: file, line: line)
            let difference = zip(excerpt.samples, expected).prefix(compared - excerpt.start).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThan(difference, tolerance, "\(name) at \(excerpt.start)", file: file, line: line)
        }
    }

    func testSndfileMpg123AndFFmpegSeekToTheSamplesAWholeDecodeGives() throws {
        for format in FixtureFormat.allCases {
            let path = folder.appending("chirp-\(format).\(format.fileExtension)")
            let chirp = Self.chirp(sampleRate: format.sampleRate)
            try FixtureWriter.write([chirp, chirp], sampleRate: format.sampleRate, format: format, to: path)
            let lossless = [FixtureFormat.wav, .flac, .aiff].contains(format)
            try assertExcerptsMatchWholeDecode(path, tolerance: lossless ? 1e-4 : 2e-3)
        }
    }

    func testFFmpegOnlyFormatsAndTheWholeDecodeFallback() throws {
        try FixtureWriter.requireFFmpeg()
        let input = "aevalsrc=0.5*sin(2*PI*(200*t+30*t*t)):s=44100:d=\(Int(Self.seconds))"
        for (name, arguments) in [("aac.m4a", ["-c:a", "aac"]), ("alac.m4a", ["-c:a", "alac"]), ("vorbis.mka", ["-c:a", "libvorbis"])] {
            let path = try FixtureWriter.encodeWithFFmpeg(input: input, arguments: arguments, to: folder.appending(name))
            try assertExcerptsMatchWholeDecode(path, tolerance: 2e-3, seeks: name.hasSuffix(".m4a"))
        }
        // A VBR MP3 without a Xing/LAME header: libmpg123 only estimates its length and seek points from the bitrate
        // until every frame header is read, which the excerpt decode does first.
        let vbr = try FixtureWriter.encodeWithFFmpeg(input: input, arguments: ["-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0"],
                                                     to: folder.appending("vbr-no-xing.mp3"))
        try assertExcerptsMatchWholeDecode(vbr, tolerance: 2e-3)
        // ADTS AAC has no length but FFmpeg's bitrate guess: the whole file is decoded and the excerpts cut from it.
        let adts = try FixtureWriter.encodeWithFFmpeg(input: input, arguments: ["-c:a", "aac", "-f", "adts"],
                                                      to: folder.appending("adts.aac"))
        try assertExcerptsMatchWholeDecode(adts, tolerance: 1e-6, seeks: false)
    }

    func testTheRateAlignmentMapsWholeInputBlocksOntoWholeOutputSamples() {
        let cd = RateAlignment(inputRate: 44_100, outputRate: 16_000)
        XCTAssertEqual(cd.inputBlock, 441)
        XCTAssertEqual(cd.outputBlock, 160)
        XCTAssertEqual(cd.anchor(before: 1_000).input, 6 * 441)
        XCTAssertEqual(cd.anchor(before: 1_000).output, 960)
        XCTAssertEqual(RateAlignment(inputRate: 48_000, outputRate: 16_000).anchor(before: 7).input, 21)
    }
}
