import TestSupport
import XCTest
@testable import LibraryScanner

final class AudioDecoderTests: FolderTestCase {
    private let decoder = AudioDecoder()

    func testEveryFormatDecodesWithItsDurationAndFrequency() throws {
        for format in FixtureFormat.allCases {
            let path = try FixtureWriter.writeTone(format, frequency: 440, seconds: 2,
                                                   to: folder.appending("tone.\(format.fileExtension)"))
            let audio = try decoder.decode(path: path)
            XCTAssertEqual(audio.format, format.detected)
            XCTAssertEqual(audio.sampleRate, 16000)
            XCTAssertEqual(audio.sourceSampleRate, format.sampleRate, "\(format)")
            // Lossy codecs pad a little at the ends.
            XCTAssertEqual(audio.sourceDuration, 2, accuracy: 0.06, "\(format)")
            XCTAssertEqual(Double(audio.samples.count) / 16000, audio.sourceDuration, accuracy: 0.01, "\(format)")
            let middle = Array(audio.samples[4000..<28000])
            XCTAssertEqual(Signals.zeroCrossingFrequency(middle, sampleRate: 16000), 440, accuracy: 3, "\(format)")
            let onTone = Signals.amplitude(of: 440, in: middle, sampleRate: 16000)
            let offTone = Signals.amplitude(of: 1000, in: middle, sampleRate: 16000)
            // 30 dB apart: a power ratio of 1000.
            XCTAssertGreaterThan(onTone, 1000.0.squareRoot() * offTone, "\(format)")
        }
    }
}

extension AudioDecoderTests {
    func testStereoIsMixedDownToMono() throws {
        // Opposite channels cancel in the mix; a tone on one channel only comes out at half amplitude.
        let rate = FixtureFormat.wav.sampleRate
        let tone = Signals.tone(frequency: 440, seconds: 1, sampleRate: rate)
        let silence = [Float](repeating: 0, count: tone.count)
        let cancelling = folder.appending("cancel.wav")
        try FixtureWriter.write([tone, tone.map { -$0 }], sampleRate: rate, format: .wav, to: cancelling)
        let oneSided = folder.appending("left.wav")
        try FixtureWriter.write([tone, silence], sampleRate: rate, format: .wav, to: oneSided)

        let cancelled = try decoder.decode(path: cancelling)
        XCTAssertEqual(cancelled.sourceChannelCount, 2)
        XCTAssertLessThan(cancelled.samples.map(abs).max() ?? 1, 1e-3)
        let mixed = try decoder.decode(path: oneSided)
        let peak = mixed.samples[2000..<14000].map(abs).max() ?? 0
        XCTAssertEqual(peak, 0.25, accuracy: 0.01)
    }

    func testMP3IsMixedDownToMono() throws {
        let rate = FixtureFormat.mp3.sampleRate
        let tone = Signals.tone(frequency: 440, seconds: 1, sampleRate: rate)
        let path = folder.appending("cancel.mp3")
        try FixtureWriter.write([tone, tone.map { -$0 }], sampleRate: rate, format: .mp3, to: path)
        let audio = try decoder.decode(path: path)
        XCTAssertEqual(audio.sourceChannelCount, 2)
        XCTAssertLessThan(audio.samples.map(abs).max() ?? 1, 0.05)
    }

    func testFFmpegDecodesVorbisAndOpusAsLibsndfileDoes() throws {
        // Vorbis and Opus take FFmpeg's decoders (faster); they must give the samples libsndfile's give.
        for format in [FixtureFormat.oggVorbis, .opus] {
            let path = try FixtureWriter.writeTone(format, frequency: 440, seconds: 2,
                                                   to: folder.appending("same.\(format.fileExtension)"))
            XCTAssertTrue(try openSampleSource(AudioFile(path: path)) is FFmpegSource, "\(format)")
            let fast = try readAll(try FFmpegSource(file: ReadOnlyFile(path: path)))
            let reference = try readAll(try SndfileSource(file: ReadOnlyFile(path: path)))
            XCTAssertEqual(Double(fast.count), Double(reference.count), accuracy: Double(format.sampleRate) * 0.01,
                           "\(format)")
            let middle = (fast.count / 4)..<(fast.count * 3 / 4)
            let difference = middle.map { abs(fast[$0] - reference[$0]) }.max() ?? 1
            XCTAssertLessThan(difference, 0.01, "\(format)")
            XCTAssertGreaterThan(middle.map { abs(fast[$0]) }.max() ?? 0, 0.1, "\(format): the tone is there")
        }
    }

    func testDamageInsideAnOggStreamLosesOnlyThatPart() throws {
        let path = try FixtureWriter.writeTone(.oggVorbis, frequency: 440, seconds: 6,
                                               to: folder.appending("damaged.ogg"))
        let bytes = try FixtureWriter.readBytes(path)
        // Garbage 60 % of the way in: the Ogg pages it hits fail their checksum and are lost; what follows still
        // decodes, so the file gives more than the same file cut off where the damage starts.
        let damageStart = bytes.count * 6 / 10
        var damaged = bytes
        for i in damageStart..<(damageStart + 300) { damaged[i] = UInt8(truncatingIfNeeded: i * 7919) }
        try FixtureWriter.writeBytes(damaged, to: path)
        let afterDamage = try readAll(try FFmpegSource(file: ReadOnlyFile(path: path))).count
        try FixtureWriter.writeBytes(Array(bytes.prefix(damageStart)), to: path)
        let cutOff = try readAll(try FFmpegSource(file: ReadOnlyFile(path: path))).count
        XCTAssertGreaterThan(afterDamage, cutOff + 44100 / 2)
        try FixtureWriter.writeBytes(damaged, to: path)
        let audio = try decoder.decode(path: path)
        XCTAssertEqual(Signals.zeroCrossingFrequency(Array(audio.samples[4000..<16000]), sampleRate: 16000), 440, accuracy: 3)
    }

    private func readAll(_ source: any MonoSampleSource) throws -> [Float] {
        var samples: [Float] = []
        var block = [Float](repeating: 0, count: 3000)
        while true {
            let count = try block.withUnsafeMutableBufferPointer { try source.read(into: $0) }
            if count == 0 { return samples }
            samples += block[..<count]
        }
    }

    func testExcerptsComeFromTheRequestedPlaces() throws {
        // 1 s at 300 Hz, then 1 s at 900 Hz, then 1 s at 300 Hz: each excerpt must carry its section's tone.
        for format in [FixtureFormat.flac, .mp3, .oggVorbis, .opus] {
            let rate = format.sampleRate
            let sections = [300.0, 900, 300].flatMap { Signals.tone(frequency: $0, seconds: 1, sampleRate: rate) }
            let path = folder.appending("sections.\(format.fileExtension)")
            try FixtureWriter.write([sections], sampleRate: rate, format: format, to: path)

            let excerpts = try decoder.decodeExcerpts(path: path, starts: [1.25, 0.25, 2.25], length: 0.5)
            XCTAssertEqual(excerpts.map(\.count), [8000, 8000, 8000], "\(format)")
            let tones = excerpts.map { Signals.zeroCrossingFrequency($0, sampleRate: 16000) }
            XCTAssertEqual(tones[0], 900, accuracy: 10, "\(format)")
            XCTAssertEqual(tones[1], 300, accuracy: 10, "\(format)")
            XCTAssertEqual(tones[2], 300, accuracy: 10, "\(format)")
            // The excerpt is the same samples a whole decode gives there (no click after the seek).
            let whole = try decoder.decode(path: path).samples
            let difference = zip(excerpts[0], whole[20000..<28000]).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThan(difference, 0.02, "\(format)")
        }
    }

    func testEvenlySpacedExcerptsAndShortFiles() throws {
        let path = try FixtureWriter.writeTone(.wav, seconds: 3, to: folder.appending("three.wav"))
        let excerpts = try decoder.decodeExcerpts(path: path, count: 4, length: 1)
        XCTAssertEqual(excerpts.map(\.count), [16000, 16000, 16000, 16000])
        let long = try decoder.decodeExcerpts(path: path, count: 1, length: 5)
        XCTAssertEqual(Double(long[0].count), 48000, accuracy: 10)
    }

    func testFormatIsRecognisedByContentNotName() throws {
        let path = try FixtureWriter.writeTone(.flac, to: folder.appending("actually-flac.mp3"))
        XCTAssertEqual(try AudioFormat.detect(path: path), .flac)
        XCTAssertEqual(try decoder.decode(path: path).format, .flac)
        let noExtension = try FixtureWriter.writeTone(.mp3, to: folder.appending("no-extension"))
        XCTAssertEqual(try AudioFormat.detect(path: noExtension), .mp3)
    }

    func testUnreadableContentThrowsWithTheFileName() throws {
        let text = folder.appending("notes.flac")
        try FixtureWriter.writeBytes(Array("just some text, not audio".utf8), to: text)
        XCTAssertThrowsError(try decoder.decode(path: text)) { error in
            let error = error as! AudioFileError
            XCTAssertEqual(error.origin, .content)
            XCTAssertEqual(error.code, AudioFileError.ContentProblem.notAudio.rawValue)
            XCTAssertTrue(error.description.contains("notes.flac"))
        }
        XCTAssertThrowsError(try decoder.decode(path: folder.appending("missing.wav"))) { error in
            XCTAssertEqual((error as! AudioFileError).origin, .posix)
            XCTAssertEqual((error as! AudioFileError).code, ENOENT)
        }
    }

    func testTruncatedFilesFailInspection() throws {
        // libsndfile decodes nothing of a cut-off Ogg file, so that one is reported as holding no audio.
        let expected: [(FixtureFormat, AudioFileError.ContentProblem)] = [(.flac, .truncated), (.mp3, .truncated),
                                                                          (.oggVorbis, .noAudio)]
        for (format, problem) in expected {
            let path = try FixtureWriter.writeTone(format, seconds: 4,
                                                   to: folder.appending("cut.\(format.fileExtension)"))
            XCTAssertEqual(try decoder.inspect(path: path).duration, 4, accuracy: 0.06, "\(format)")
            let bytes = try FixtureWriter.readBytes(path)
            try FixtureWriter.writeBytes(Array(bytes.prefix(bytes.count / 2)), to: path)
            XCTAssertThrowsError(try decoder.inspect(path: path), "\(format)") { error in
                XCTAssertEqual((error as! AudioFileError).origin, .content, "\(format)")
                XCTAssertEqual((error as! AudioFileError).code, problem.rawValue, "\(format)")
            }
        }
    }
}
