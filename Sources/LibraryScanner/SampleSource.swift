/// A decoder's output: mono Float samples at the source's own rate, read block by block.
///
/// Implementations own a C decoder handle and free it in `deinit`; nothing of the C library leaks out.
protocol MonoSampleSource: AnyObject {
    /// Samples per second of the source.
    var sampleRate: Int { get }
    /// Channels in the source before the mixdown.
    var channelCount: Int { get }
    /// Frames the stream declares, or nil when the container does not say.
    var declaredFrameCount: Int? { get }
    /// Whether `declaredFrameCount` is the stream's length rather than a guess (from the bitrate, say).
    var knowsExactLength: Bool { get }

    /// Reads up to `buffer.count` mono frames into `buffer`; returns how many, 0 at the end of the stream.
    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(AudioFileError) -> Int

    /// Moves to `frame`; returns false when the stream cannot seek, leaving the position unchanged.
    func seek(toFrame frame: Int) throws(AudioFileError) -> Bool
}

/// Opens the source that decodes `format`.
func openSampleSource(path: RawPath, format: AudioFormat) throws(AudioFileError) -> any MonoSampleSource {
    switch format {
    case .mp3: return try Mpg123Source(path: path)
    case .flac, .wav, .aiff: return try SndfileSource(path: path)
    case .oggVorbis, .opus:
        // FFmpeg's decoders are the fast path; libsndfile still reads a file FFmpeg's demuxer refuses.
        do { return try FFmpegSource(path: path) } catch { return try SndfileSource(path: path) }
    case .mp4, .asf, .matroska, .wavpack, .tta, .ac3, .eac3, .aac, .musepack, .ape, .caf:
        return try FFmpegSource(path: path)
    }
}
