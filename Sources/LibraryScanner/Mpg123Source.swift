import CMpg123
#if canImport(Glibc)
import Glibc
#endif

/// MPEG audio through libmpg123, which mixes to mono itself (cheaper: one synthesis filter instead of two).
final class Mpg123Source: MonoSampleSource {
    let sampleRate: Int
    let channelCount: Int
    private(set) var declaredFrameCount: Int?
    /// True when the length came from a LAME/Xing/Info header (so a shorter stream is truncated), false when
    /// libmpg123 only estimated it from the file size and bitrate.
    let hasExactDeclaredLength: Bool
    /// Exact once `scanLength()` has read every frame header, or when a LAME/Xing header said it.
    private(set) var knowsExactLength: Bool
    private let handle: OpaquePointer
    private let path: RawPath
    /// The open file libmpg123 reads; kept open as long as this source.
    private let file: ReadOnlyFile

    /// mpg123_init is required before first use by older libmpg123 and is harmless since 1.27.
    private static let libraryInitialised: Int32 = mpg123_init()

    /// Decodes `file` from its start on its own descriptor (libmpg123 does not open the file again).
    init(file: ReadOnlyFile) throws(AudioFileError) {
        _ = Self.libraryInitialised
        let path = file.path
        var code: Int32 = 0
        guard let handle = mpg123_new(nil, &code) else {
            throw AudioFileError(origin: .mpg123, code: code, message: String(cString: mpg123_plain_strerror(code)),
                                 path: path)
        }
        self.handle = handle
        self.path = path
        self.file = file
        let flags = MPG123_QUIET.rawValue | MPG123_GAPLESS.rawValue | MPG123_FORCE_FLOAT.rawValue
            | MPG123_MONO_MIX.rawValue
        try Self.check(mpg123_param2(handle, Int32(MPG123_FLAGS.rawValue), Int(flags), 0), handle, path, deleting: true)
        try Self.check(Self.openAtStart(handle, file), handle, path, deleting: true)
        try Self.check(Self.allowMonoFloatOnly(handle), handle, path, deleting: true)
        var rate = 0, channels: Int32 = 0, encoding: Int32 = 0
        try Self.check(mpg123_getformat(handle, &rate, &channels, &encoding), handle, path, deleting: true)
        if channels != 1 || encoding != MPG123_ENC_FLOAT_32.rawValue {
            Self.close(handle)
            throw AudioFileError(.unexpectedLayout, "mpg123 gave \(channels) channels, encoding \(encoding)",
                                 path: path)
        }
        sampleRate = rate
        var frameInfo = mpg123_frameinfo2()
        mpg123_info2(handle, &frameInfo)
        channelCount = frameInfo.mode == Int32(MPG123_M_MONO.rawValue) ? 1 : 2
        let length = mpg123_length(handle)
        declaredFrameCount = length > 0 ? length : nil
        var isAccurate = 0
        mpg123_getstate2(handle, Int32(MPG123_ACCURATE.rawValue), &isAccurate, nil)
        hasExactDeclaredLength = isAccurate == 1 && length > 0
        knowsExactLength = hasExactDeclaredLength
    }

    deinit {
        Self.close(handle)
    }

    /// Reads the whole stream's frame headers (no decoding) so that the length is exact, not estimated.
    func scanLength() throws(AudioFileError) -> Int {
        try Self.check(mpg123_scan(handle), handle, path, deleting: false)
        let length = mpg123_length(handle)
        declaredFrameCount = length > 0 ? length : nil
        knowsExactLength = true
        return max(0, length)
    }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(AudioFileError) -> Int {
        let byteCount = buffer.count * MemoryLayout<Float>.size
        var filled = 0
        while filled < byteCount {
            var done = 0
            let start = UnsafeMutableRawPointer(buffer.baseAddress!) + filled
            let code = mpg123_read(handle, start, byteCount - filled, &done)
            filled += done
            if code == MPG123_DONE.rawValue { break }
            if code != MPG123_OK.rawValue && code != MPG123_NEW_FORMAT.rawValue {
                try Self.check(code, handle, path, deleting: false)
            }
        }
        return filled / MemoryLayout<Float>.size
    }

    func seek(toFrame frame: Int) throws(AudioFileError) -> Bool {
        let position = mpg123_seek(handle, frame, SEEK_SET)
        if position < 0 { try Self.check(Int32(position), handle, path, deleting: false) }
        return true
    }

    /// Hands libmpg123 the descriptor, rewound to the start (it reads from the current offset).
    private static func openAtStart(_ handle: OpaquePointer, _ file: ReadOnlyFile) -> Int32 {
        lseek(file.descriptor, 0, SEEK_SET)
        return mpg123_open_fd(handle, file.descriptor)
    }

    /// Restricts the output to mono 32-bit float at every rate libmpg123 supports.
    private static func allowMonoFloatOnly(_ handle: OpaquePointer) -> Int32 {
        var rates: UnsafePointer<Int>?
        var rateCount = 0
        mpg123_rates(&rates, &rateCount)
        var code = mpg123_format_none(handle)
        for index in 0..<rateCount where code == MPG123_OK.rawValue {
            code = mpg123_format(handle, rates![index], Int32(MPG123_MONO.rawValue),
                                 Int32(MPG123_ENC_FLOAT_32.rawValue))
        }
        return code
    }

    /// Throws the handle's error when `code` is not MPG123_OK; frees the handle first if init is failing.
    private static func check(_ code: Int32, _ handle: OpaquePointer, _ path: RawPath,
                              deleting: Bool) throws(AudioFileError) {
        guard code != MPG123_OK.rawValue else { return }
        let specific = mpg123_errcode(handle)
        let error = AudioFileError(origin: .mpg123, code: specific != 0 ? specific : code,
                                   message: String(cString: mpg123_strerror(handle)), path: path)
        if deleting { close(handle) }
        throw error
    }

    private static func close(_ handle: OpaquePointer) {
        mpg123_close(handle)
        mpg123_delete(handle)
    }
}
