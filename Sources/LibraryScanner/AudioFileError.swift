/// Why an audio file could not be read, with the failing library's own code.
///
/// A `catch` can match on `origin` and `code`; `description` names the file for people.
public struct AudioFileError: Error, Sendable, CustomStringConvertible {
    /// Which layer reported the problem; `code` is in that layer's own numbering.
    public enum Origin: String, Sendable {
        /// A system call failed; `code` is `errno`.
        case posix
        /// libsndfile; `code` is `sf_error()`.
        case sndfile
        /// FFmpeg (libavformat, libavcodec); `code` is a negative AVERROR value.
        case ffmpeg
        /// libmpg123; `code` is an `mpg123_errors` value.
        case mpg123
        /// libsoxr; it has no numeric codes, so `code` is 0.
        case soxr
        /// TagLib; its C API has no codes, so `code` is 0.
        case taglib
        /// The content itself; `code` is a `ContentProblem` raw value.
        case content
    }

    /// Problems found in a file's content rather than reported by a library.
    public enum ContentProblem: Int32, Sendable {
        /// The file has no bytes.
        case empty = 1
        /// The bytes are not in any audio format the scanner decodes.
        case notAudio = 2
        /// The stream ends before the length its header declares.
        case truncated = 3
        /// The stream holds no audio frames.
        case noAudio = 4
        /// The decoder produced an output layout it was not asked for.
        case unexpectedLayout = 5
        /// The stream is encrypted (DRM), so it cannot be decoded.
        case protected = 6
        /// The file holds video, not just audio.
        case video = 7
    }

    /// The layer that reported the problem.
    public let origin: Origin
    /// The code in `origin`'s own numbering (errno, sf_error, mpg123_errors, `ContentProblem`).
    public let code: Int32
    /// The library's message, or ours for `.content`.
    public let message: String
    /// The file being read.
    public let path: RawPath

    /// An error reported by `origin` with its own `code` and `message` about the file at `path`.
    public init(origin: Origin, code: Int32, message: String, path: RawPath) {
        self.origin = origin
        self.code = code
        self.message = message
        self.path = path
    }

    init(_ problem: ContentProblem, _ message: String, path: RawPath) {
        self.init(origin: .content, code: problem.rawValue, message: message, path: path)
    }

    /// The problem without the file name, as stored in the catalog next to the path.
    public var reason: String {
        "\(origin.rawValue) error \(code): \(message)"
    }

    public var description: String {
        "\(path.displayString): \(reason)"
    }
}
