import CFFmpeg
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// FFmpeg's input over a file tunescore already opened: an AVIOContext whose reads are `pread`s on that descriptor,
/// so the demuxer does not open the file a second time.
final class FFmpegFileInput {
    /// The AVIOContext to set as an AVFormatContext's `pb` (with AVFMT_FLAG_CUSTOM_IO, which avformat_open_input sets).
    private(set) var context: UnsafeMutablePointer<AVIOContext>?
    private let file: ReadOnlyFile
    /// Where the next read starts.
    private var position: Int64 = 0
    private static let bufferSize: Int32 = 65_536

    /// - Returns: nil when FFmpeg cannot allocate the context.
    init?(file: ReadOnlyFile) {
        self.file = file
        guard let buffer = av_malloc(Int(Self.bufferSize)) else { return nil }
        context = avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), Self.bufferSize, 0,
                                     Unmanaged.passUnretained(self).toOpaque(), Self.read, nil, Self.seek)
        if context == nil {
            av_free(buffer)
            return nil
        }
    }

    deinit {
        // The buffer may have been replaced by FFmpeg since allocation: free the one the context holds now.
        if let context { av_freep(&context.pointee.buffer) }
        avio_context_free(&context)
    }

    private static func input(_ opaque: UnsafeMutableRawPointer?) -> FFmpegFileInput {
        Unmanaged<FFmpegFileInput>.fromOpaque(opaque!).takeUnretainedValue()
    }

    /// FFmpeg's read callback: up to `size` bytes at the current position, AVERROR_EOF at the end.
    private static let read: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = { opaque, buffer, size in
        let input = FFmpegFileInput.input(opaque)
        let got = pread(input.file.descriptor, buffer, Int(size), off_t(input.position))
        if got < 0 { return -errno }
        if got == 0 { return tunescore_av_error_eof() }
        input.position += Int64(got)
        return Int32(got)
    }

    /// FFmpeg's seek callback: the new position, or the file's size for AVSEEK_SIZE.
    private static let seek: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = { opaque, offset, whence in
        let input = FFmpegFileInput.input(opaque)
        var status = stat()
        let size: Int64? = fstat(input.file.descriptor, &status) == 0 ? Int64(status.st_size) : nil
        let target: Int64?
        switch whence & ~Int32(AVSEEK_FORCE) {
        case Int32(AVSEEK_SIZE): return size ?? -1
        case SEEK_SET: target = offset
        case SEEK_CUR: target = input.position + offset
        case SEEK_END: target = size.map { $0 + offset }
        default: target = nil
        }
        guard let target, target >= 0 else { return Int64(-EINVAL) }
        input.position = target
        return target
    }
}
