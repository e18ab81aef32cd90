import XCTest
@testable import LibraryScanner

final class AudioDecoderTests: XCTestCase {
    private var folder: TemporaryFolder!
    private let decoder = AudioDecoder()

    override func setUpWithError() throws {
        folder = try TemporaryFolder()
    }

    override func tearDown() {
        folder = nil
    }

    func testEveryFormatDecodesWithItsDurationAndFrequency() throws {
        for format in FixtureFormat.allCases {
            let path = try FixtureWriter.writeTone(format, frequency: 440, seconds: 2,
                                                   to: folder.path.appending("tone.\(format.fileExtension)"))
            let audio = try decoder.decode(path: path)
            XCTAssertEqual(audio.format, format.detected)
            XCTAssertEqual(audio.sampleRate, 16000)
            XCTAssertEqual(audio.sourceSampleRate, format.sampleRate, "\(format)")
            // Lossy codecs pad a little at the ends.
            XCTAssertEqual(audio.sourceDuration, 2, accuracy: 0.06, "\(format)")
            XCTAssertEqual(Double(audio.samples.count) / 16000, audio.sourceDuration, accuracy: 0.01, "\(format)")
            let middle = Array(audio.samples[4000..<28000])
            XCTAssertEqual(Signal.zeroCrossingFrequency(middle, sampleRate: 16000), 440, accuracy: 3, "\(format)")
            let onTone = Signal.power(at: 440, in: middle, sampleRate: 16000)
            let offTone = Signal.power(at: 1000, in: middle, sampleRate: 16000)
            XCTAssertGreaterThan(onTone, 1000 * offTone, "\(format)")
        }
    }
}
