/// An audio file opened once, with its format recognised from that open: the decoder reads this same descriptor, so
/// the file is not opened again to decode it.
public final class AudioFile {
    /// Where the file was opened.
    public let path: RawPath
    /// The format recognised from the content.
    public let format: AudioFormat
    /// The one open descriptor, shared by detection and the decoder's source.
    let file: ReadOnlyFile

    /// Opens the file at `path` and recognises its format from its first bytes.
    ///
    /// - Throws: `AudioFileError` as `AudioFormat.detect(path:)`.
    public init(path: RawPath) throws(AudioFileError) {
        file = try ReadOnlyFile(path: path)
        self.path = path
        format = try AudioFormat.detect(file: file)
    }

    /// A file already open whose format is known.
    init(file: ReadOnlyFile, format: AudioFormat) {
        self.file = file
        self.path = file.path
        self.format = format
    }
}
