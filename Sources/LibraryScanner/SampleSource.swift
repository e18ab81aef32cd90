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

    /// The tags in the container's metadata, where the decoder's library reads them (FFmpeg); nil otherwise.
    var containerTags: TrackTags? { get }

    /// Reads up to `buffer.count` mono frames into `buffer`; returns how many, 0 at the end of the stream.
    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(AudioFileError) -> Int

    /// Moves to `frame`; returns false when the stream cannot seek, leaving the position unchanged.
    func seek(toFrame frame: Int) throws(AudioFileError) -> Bool
}

extension MonoSampleSource {
    /// libmpg123 and libsndfile sources leave tags to `TagReader`.
    var containerTags: TrackTags? { nil }
}

/// Opens the source that decodes `audio`'s format on `audio`'s open descriptor (no second open of the file).
func openSampleSource(_ audio: AudioFile) throws(AudioFileError) -> any MonoSampleSource {
    switch audio.format {
    case .mp3: return try Mpg123Source(file: audio.file)
    case .flac, .wav, .aiff: return try SndfileSource(file: audio.file)
    case .oggVorbis, .opus:
        // FFmpeg's decoders are the fast path; libsndfile still reads a file FFmpeg's demuxer refuses.
        do { return try FFmpegSource(file: audio.file) } catch { return try SndfileSource(file: audio.file) }
    case .mp4, .asf, .matroska, .wavpack, .tta, .ac3, .eac3, .aac, .musepack, .ape, .caf:
        return try FFmpegSource(file: audio.file)
    }
}
