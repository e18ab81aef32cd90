import Foundation
import XCTest
@testable import LibraryScanner

/// Decode speed in times realtime; runs only with TUNESCORE_DECODE_BENCH=1 (it takes a few seconds).
final class DecodeSpeedTests: FolderTestCase {
    func testDecodeSpeed() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["TUNESCORE_DECODE_BENCH"] == "1",
                          "set TUNESCORE_DECODE_BENCH=1 to measure decode speed")
        let seconds = 60.0
        var report: [String] = []
        for format in [FixtureFormat.mp3, .flac, .oggVorbis, .opus, .wav] {
            // A chirp-like mix keeps lossy encoders honest (a pure tone compresses unrealistically well).
            let rate = format.sampleRate
            let left = (0..<Int(seconds * Double(rate))).map { index -> Float in
                let time = Double(index) / Double(rate)
                return Float(0.3 * sin(2 * .pi * (200 + 40 * time) * time) + 0.1 * sin(2 * .pi * 3000 * time))
            }
            let path = folder.path.appending("long.\(format.fileExtension)")
            try FixtureWriter.write([left, left.reversed()], sampleRate: rate, format: format, to: path)
            for quality in [ResampleQuality.quick, .low, .medium, .high] {
                let decoder = AudioDecoder(quality: quality)
                let start = Date()
                let audio = try decoder.decode(path: path)
                let elapsed = Date().timeIntervalSince(start)
                report.append("\(format) \(quality): \(Int(audio.sourceDuration / elapsed))x realtime")
            }
        }
        print(report.joined(separator: "\n"))
    }
}
