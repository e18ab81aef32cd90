import CFFmpeg
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The audio formats the scanner decodes, recognised by their content.
public enum AudioFormat: String, Sendable, CaseIterable {
    /// MPEG-1/2 audio (layer III, and layers I/II which mpg123 also decodes); decoded by libmpg123.
    case mp3
    /// FLAC in its native container ("fLaC"); decoded by libsndfile like the rest.
    case flac
    /// RIFF/RF64/BW64 WAVE.
    case wav
    /// AIFF and AIFF-C.
    case aiff
    /// Vorbis in Ogg.
    case oggVorbis = "ogg-vorbis"
    /// Opus in Ogg.
    case opus
    /// MP4/M4A (AAC, ALAC): recognised and decoded by FFmpeg, like every case below.
    case mp4
    /// ASF (WMA).
    case asf
    /// Matroska and WebM audio.
    case matroska
    case wavpack
    case tta
    /// Raw AC-3 and E-AC-3.
    case ac3
    case eac3
    /// ADTS AAC.
    case aac
    case musepack
    case ape
    /// Apple's Core Audio Format.
    case caf

    /// FFmpeg's demuxer names (`AVInputFormat.name`) for the formats only FFmpeg reads.
    static let ffmpegDemuxers: [String: AudioFormat] = [
        "mov,mp4,m4a,3gp,3g2,mj2": .mp4, "asf": .asf, "matroska,webm": .matroska, "wv": .wavpack, "tta": .tta,
        "ac3": .ac3, "eac3": .eac3, "aac": .aac, "mpc": .musepack, "mpc8": .musepack, "ape": .ape, "caf": .caf,
    ]

    /// Decoded through FFmpeg alone (no other library reads it here).
    public var isFFmpegOnly: Bool { ![.mp3, .flac, .wav, .aiff, .oggVorbis, .opus].contains(self) }

    /// Extensions that announce audio. A file with one of these is expected to be audio, so a mismatch is a
    /// failure worth reporting; other files are recognised by content alone.
    public static let audioExtensions: Set<String> = [
        "mp3", "mp2", "mpga", "flac", "wav", "wave", "aif", "aiff", "aifc", "ogg", "oga", "opus",
        "m4a", "m4b", "mp4", "aac", "alac", "wma", "asf", "webm", "mka", "wv", "tta", "ac3", "eac3", "mpc", "ape", "caf",
    ]

    /// Recognises the format from the file's first bytes, whatever its name.
    ///
    /// - Throws: `AudioFileError` with origin `.posix` when the file cannot be opened or read,
    ///   `.content`/`.empty` for a zero-byte file, `.content`/`.notAudio` when no known format matches.
    public static func detect(path: RawPath) throws(AudioFileError) -> AudioFormat {
        try detect(file: ReadOnlyFile(path: path))
    }

    /// Recognises the format of an open file from its first bytes (read with `pread`: the file's offset stays at 0).
    /// - Throws: `AudioFileError` as `detect(path:)`.
    static func detect(file: ReadOnlyFile) throws(AudioFileError) -> AudioFormat {
        let path = file.path
        let head = try file.read(count: 4096, at: 0)
        if head.isEmpty { throw AudioFileError(.empty, "the file is empty", path: path) }
        if let format = sniff(head) { return format }
        if let tagSize = id3v2TagSize(head) {
            let afterTag = try file.read(count: 4096, at: tagSize)
            if afterTag.starts(with: Array("fLaC".utf8)) { return .flac }
            if MPEGFrameHeader.findStream(in: afterTag) { return .mp3 }
        }
        if let format = probeWithFFmpeg(try file.read(count: 65_536, at: 0)) { return format }
        throw AudioFileError(.notAudio, "not a recognised audio format (content starts with \(hexPrefix(head)))",
                             path: path)
    }

    /// The format FFmpeg's probe finds in a file's first bytes (by content alone: no file name is given), when it is
    /// one of `ffmpegDemuxers` and the probe is reasonably sure (score above 25 of 100).
    static func probeWithFFmpeg(_ head: [UInt8]) -> AudioFormat? {
        // FFmpeg reads up to AVPROBE_PADDING_SIZE bytes past the data, which must be zero.
        var padded = head + [UInt8](repeating: 0, count: Int(AVPROBE_PADDING_SIZE))
        var score: Int32 = 0
        let format = padded.withUnsafeMutableBufferPointer { buffer in
            var probe = AVProbeData(filename: nil, buf: buffer.baseAddress, buf_size: Int32(head.count), mime_type: nil)
            return av_probe_input_format3(&probe, 1, &score)
        }
        guard let format, score > 25, let name = format.pointee.name else { return nil }
        return ffmpegDemuxers[String(cString: name)]
    }

    /// The format announced by a file's first bytes, without looking past an ID3v2 tag.
    static func sniff(_ head: [UInt8]) -> AudioFormat? {
        func has(_ text: String, at offset: Int) -> Bool {
            let expected = Array(text.utf8)
            return head.count >= offset + expected.count && Array(head[offset..<(offset + expected.count)]) == expected
        }
        if has("fLaC", at: 0) { return .flac }
        if (has("RIFF", at: 0) || has("RF64", at: 0) || has("BW64", at: 0)) && has("WAVE", at: 8) { return .wav }
        if has("FORM", at: 0) && (has("AIFF", at: 8) || has("AIFC", at: 8)) { return .aiff }
        if has("OggS", at: 0) { return oggCodec(head) }
        if MPEGFrameHeader.findStream(in: head, searchLimit: 1) { return .mp3 }
        return nil
    }

    /// Vorbis or Opus, read from the identification packet on the first Ogg page.
    private static func oggCodec(_ head: [UInt8]) -> AudioFormat? {
        // The first page has a 27-byte header plus its segment table, then the codec's identification packet.
        guard head.count > 27 else { return nil }
        let packetStart = 27 + Int(head[26])
        let packet = head.dropFirst(packetStart)
        if packet.starts(with: [0x01] + Array("vorbis".utf8)) { return .oggVorbis }
        if packet.starts(with: Array("OpusHead".utf8)) { return .opus }
        return nil
    }

    /// The byte length of a leading ID3v2 tag (header, body and footer), or nil without one.
    static func id3v2TagSize(_ head: [UInt8]) -> Int? {
        guard head.count >= 10, head.starts(with: Array("ID3".utf8)) else { return nil }
        // The size is "syncsafe": four bytes of seven bits each.
        let body = head[6..<10].reduce(0) { ($0 << 7) | Int($1 & 0x7F) }
        let hasFooter = head[5] & 0x10 != 0
        return 10 + body + (hasFooter ? 10 : 0)
    }

    private static func hexPrefix(_ head: [UInt8]) -> String {
        head.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: " ")
    }
}

/// One MPEG audio frame header, enough to find where the next frame starts.
struct MPEGFrameHeader {
    let frameLength: Int

    private static let layer3V1Kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    private static let layer2V1Kbps = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384]
    private static let layer1V1Kbps = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448]
    private static let layer1V2Kbps = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
    private static let layer23V2Kbps = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]

    /// Parses the four bytes at `offset`; nil when they are not a valid header (free-format frames included,
    /// since their length cannot be known from the header).
    init?(_ bytes: [UInt8], at offset: Int) {
        guard offset + 4 <= bytes.count else { return nil }
        let b1 = bytes[offset + 1], b2 = bytes[offset + 2]
        guard bytes[offset] == 0xFF, b1 & 0xE0 == 0xE0 else { return nil }
        let version = Int((b1 >> 3) & 3)  // 0: MPEG 2.5, 1: reserved, 2: MPEG 2, 3: MPEG 1
        let layer = Int((b1 >> 1) & 3)  // 1: III, 2: II, 3: I, 0: reserved
        let bitrateIndex = Int(b2 >> 4)
        let rateIndex = Int((b2 >> 2) & 3)
        guard version != 1, layer != 0, bitrateIndex != 0, bitrateIndex != 15, rateIndex != 3 else { return nil }
        let isV1 = version == 3
        let baseRates = [44100, 48000, 32000]
        let sampleRate = baseRates[rateIndex] >> (isV1 ? 0 : (version == 2 ? 1 : 2))
        let padding = Int((b2 >> 1) & 1)
        let kbps: Int
        switch (layer, isV1) {
        case (3, true): kbps = Self.layer1V1Kbps[bitrateIndex]
        case (3, false): kbps = Self.layer1V2Kbps[bitrateIndex]
        case (2, true): kbps = Self.layer2V1Kbps[bitrateIndex]
        case (1, true): kbps = Self.layer3V1Kbps[bitrateIndex]
        default: kbps = Self.layer23V2Kbps[bitrateIndex]
        }
        let bitrate = kbps * 1000
        switch layer {
        case 3: frameLength = (12 * bitrate / sampleRate + padding) * 4
        case 1 where !isV1: frameLength = 72 * bitrate / sampleRate + padding
        default: frameLength = 144 * bitrate / sampleRate + padding
        }
    }

    /// True when a frame header starts within the first `searchLimit` bytes and, if the buffer reaches that
    /// far, another header follows exactly one frame later. Two linked headers make a chance match unlikely.
    static func findStream(in bytes: [UInt8], searchLimit: Int = 4096) -> Bool {
        for offset in 0..<min(searchLimit, bytes.count) {
            guard let header = MPEGFrameHeader(bytes, at: offset) else { continue }
            let next = offset + header.frameLength
            if next + 4 > bytes.count || MPEGFrameHeader(bytes, at: next) != nil { return true }
        }
        return false
    }
}

/// A file opened read-only by its raw path, closed when released.
final class ReadOnlyFile {
    let descriptor: Int32
    let path: RawPath

    init(path: RawPath) throws(AudioFileError) {
        let descriptor = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        if descriptor < 0 {
            let code = errno
            throw AudioFileError(origin: .posix, code: code, message: "open: \(errnoMessage(code))", path: path)
        }
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        close(descriptor)
    }

    /// Up to `count` bytes from `offset`; fewer at the end of the file.
    func read(count: Int, at offset: Int) throws(AudioFileError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        if got < 0 {
            let code = errno
            throw AudioFileError(origin: .posix, code: code, message: "read: \(errnoMessage(code))", path: path)
        }
        return Array(buffer.prefix(got))
    }
}
