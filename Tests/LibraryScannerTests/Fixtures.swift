import CSndfile
import CTagLib
import Foundation
import TestSupport
import XCTest
@testable import LibraryScanner

/// A test case with a fresh temporary folder per test (removed afterwards), as the raw path the scanner takes.
class FolderTestCase: XCTestCase {
    var folder: RawPath!

    override func setUpWithError() throws {
        try super.setUpWithError()
        folder = RawPath(try makeTemporaryDirectory().path)
    }
}

/// The container and codec a fixture is written with, through libsndfile.
enum FixtureFormat: CaseIterable {
    case wav, flac, aiff, oggVorbis, opus, mp3

    var sndfileFormat: Int32 {
        switch self {
        case .wav: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .flac: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .aiff: Int32(SF_FORMAT_AIFF | SF_FORMAT_PCM_16)
        case .oggVorbis: Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
        case .opus: Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
        case .mp3: Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
        }
    }

    var fileExtension: String {
        switch self {
        case .wav: "wav"
        case .flac: "flac"
        case .aiff: "aiff"
        case .oggVorbis: "ogg"
        case .opus: "opus"
        case .mp3: "mp3"
        }
    }

    var detected: AudioFormat {
        switch self {
        case .wav: .wav
        case .flac: .flac
        case .aiff: .aiff
        case .oggVorbis: .oggVorbis
        case .opus: .opus
        case .mp3: .mp3
        }
    }

    /// Opus only encodes at 48 kHz and its divisors; the others get a typical CD rate.
    var sampleRate: Int { self == .opus ? 48000 : 44100 }
}

enum FixtureWriter {
    /// Writes `channels` (each a list of samples, all the same length) to `path` as `format`.
    static func write(_ channels: [[Float]], sampleRate: Int, format: FixtureFormat, to path: RawPath) throws {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels.count)
        info.format = format.sndfileFormat
        guard let file = path.withCString({ sf_open($0, Int32(SFM_WRITE), &info) }) else {
            throw FixtureError("sf_open for writing \(path): \(String(cString: sf_strerror(nil)))")
        }
        defer { sf_close(file) }
        let frames = channels[0].count
        var interleaved = [Float](repeating: 0, count: frames * channels.count)
        for (channel, samples) in channels.enumerated() {
            for frame in 0..<frames { interleaved[frame * channels.count + channel] = samples[frame] }
        }
        // In blocks: libvorbis allocates its analysis buffer on the stack, sized by the frames per call.
        let block = 4096
        for start in stride(from: 0, to: frames, by: block) {
            let count = min(block, frames - start)
            let written = interleaved.withUnsafeBufferPointer {
                sf_writef_float(file, $0.baseAddress! + start * channels.count, sf_count_t(count))
            }
            if written != count { throw FixtureError("wrote \(written) of \(count) frames to \(path)") }
        }
    }

    /// Writes a tone of `frequency` Hz, the same on every channel.
    @discardableResult
    static func writeTone(_ format: FixtureFormat, frequency: Double = 440, seconds: Double = 2, channels: Int = 2,
                          to path: RawPath) throws -> RawPath {
        let tone = Signals.tone(frequency: frequency, seconds: seconds, sampleRate: format.sampleRate)
        try write(Array(repeating: tone, count: channels), sampleRate: format.sampleRate, format: format, to: path)
        return path
    }

    static let ffmpeg = "/usr/bin/ffmpeg"

    /// Skips the test when Debian's ffmpeg (which writes the FFmpeg-only formats) is missing.
    static func requireFFmpeg() throws {
        guard FileManager.default.isExecutableFile(atPath: ffmpeg) else {
            throw XCTSkip("ffmpeg is not installed (Debian package `ffmpeg`; `make test` installs it)")
        }
    }

    /// Writes the lavfi source `input` encoded with ffmpeg's `arguments` to `path`.
    @discardableResult
    static func encodeWithFFmpeg(input: String, arguments: [String], to path: RawPath) throws -> RawPath {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = ["-v", "error", "-y", "-f", "lavfi", "-i", input] + arguments + [path.displayString]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError("ffmpeg \(arguments) exited with \(process.terminationStatus)") }
        return path
    }

    /// Writes raw bytes to `path`.
    static func writeBytes(_ bytes: [UInt8], to path: RawPath) throws {
        let descriptor = path.withCString { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        guard descriptor >= 0 else { throw FixtureError("open \(path): errno \(errno)") }
        defer { close(descriptor) }
        guard bytes.withUnsafeBytes({ Glibc.write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw FixtureError("short write to \(path)")
        }
    }

    /// Renames `path` to `destination`.
    static func move(_ path: RawPath, to destination: RawPath) throws {
        let result = path.withCString { source in destination.withCString { rename(source, $0) } }
        if result != 0 { throw FixtureError("rename \(path) to \(destination): errno \(errno)") }
    }

    /// The bytes of the file at `path`.
    static func readBytes(_ path: RawPath) throws -> [UInt8] {
        let file = try ReadOnlyFile(path: path)
        return try file.read(count: 1 << 24, at: 0)
    }

    /// Sets tags with TagLib's C API, as a tagger would.
    static func writeTags(title: String, artist: String, album: String, genre: String, year: UInt32, track: UInt32,
                          to path: RawPath) throws {
        guard let file = path.withCString({ taglib_file_new($0) }), taglib_file_is_valid(file) != 0 else {
            throw FixtureError("TagLib cannot open \(path)")
        }
        defer { taglib_file_free(file) }
        let tag = taglib_file_tag(file)
        taglib_tag_set_title(tag, title)
        taglib_tag_set_artist(tag, artist)
        taglib_tag_set_album(tag, album)
        taglib_tag_set_genre(tag, genre)
        taglib_tag_set_year(tag, year)
        taglib_tag_set_track(tag, track)
        guard taglib_file_save(file) != 0 else { throw FixtureError("TagLib cannot save \(path)") }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
