import CTagLib
import CTagLibStream

/// A track's tags and stream properties as TagLib reads them; anything missing is nil.
public struct TrackTags: Sendable, Equatable {
    /// Text tags, nil when absent or empty.
    public var title: String?
    public var artist: String?
    public var album: String?
    public var genre: String?
    /// Numeric tags, nil when absent (TagLib reports those as 0).
    public var year: Int?
    public var trackNumber: Int?
    /// Whole seconds, as TagLib's C API reports.
    public var duration: Int?
    /// Stream properties as TagLib reads them from the headers.
    public var sampleRate: Int?
    public var channelCount: Int?
    /// kbit/s.
    public var bitrate: Int?

    /// Tags with the given values; all nil by default.
    public init(title: String? = nil, artist: String? = nil, album: String? = nil, genre: String? = nil,
                year: Int? = nil, trackNumber: Int? = nil, duration: Int? = nil, sampleRate: Int? = nil,
                channelCount: Int? = nil, bitrate: Int? = nil) {
        self.title = title
        self.artist = artist
        self.album = album
        self.genre = genre
        self.year = year
        self.trackNumber = trackNumber
        self.duration = duration
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.bitrate = bitrate
    }
}

extension TrackTags {
    /// No title, artist or album: TagLib has no parser for some formats (Matroska/WebM) and misses some tags FFmpeg reads.
    public var lacksNames: Bool { title == nil && artist == nil && album == nil }

    /// These tags (TagLib's) where they lack names, filled in from `found` (FFmpeg's): its title, artist and album, and
    /// its genre, year and track number where these have none. Tags that have names are returned as they are.
    public func fillingIn(from found: TrackTags) -> TrackTags {
        guard lacksNames else { return self }
        var tags = self
        (tags.title, tags.artist, tags.album) = (found.title, found.artist, found.album)
        tags.genre = genre ?? found.genre
        tags.year = year ?? found.year
        tags.trackNumber = trackNumber ?? found.trackNumber
        return tags
    }
}

/// Reads tags through TagLib's C API.
public struct TagReader: Sendable {
    /// A reader; it has no settings.
    public init() {}

    /// TagLib's string bookkeeping is global and not thread-safe; with it off, each string is freed here.
    private static let stringManagementDisabled: Void = {
        taglib_set_strings_unicode(1)
        taglib_set_string_management_enabled(0)
    }()

    /// The tags of the file at `path`. `format`, when known from the content, lets TagLib pick its parser even
    /// when the extension is wrong or missing.
    ///
    /// - Throws: `AudioFileError` with origin `.taglib` when TagLib cannot parse the file at all.
    public func read(path: RawPath, format: AudioFormat? = nil) throws(AudioFileError) -> TrackTags {
        _ = Self.stringManagementDisabled
        let file = path.withCString { cPath in
            if let type = format.flatMap(Self.fileType) { return taglib_file_new_type(cPath, type) }
            return taglib_file_new(cPath)
        }
        guard let file else {
            throw AudioFileError(origin: .taglib, code: 0, message: "TagLib cannot open or parse the file", path: path)
        }
        defer { taglib_file_free(file) }
        guard taglib_file_is_valid(file) != 0 else {
            throw AudioFileError(origin: .taglib, code: 0, message: "TagLib found no valid stream", path: path)
        }
        var tags = TrackTags()
        if let tag = taglib_file_tag(file) { Self.readTextAndNumbers(tag, into: &tags) }
        if let properties = taglib_file_audioproperties(file) { Self.readProperties(properties, into: &tags) }
        return tags
    }

    /// The tags of a file already open, read through its descriptor: TagLib does not open the file again, and picks its
    /// parser from the content.
    ///
    /// - Throws: `AudioFileError` with origin `.taglib` when TagLib cannot parse the file.
    public func read(_ audio: AudioFile) throws(AudioFileError) -> TrackTags {
        var read = tunescore_tags()
        guard tunescore_taglib_read_fd(audio.file.descriptor, &read) != 0 else {
            throw AudioFileError(origin: .taglib, code: 0, message: "TagLib cannot parse the file", path: audio.path)
        }
        defer { tunescore_tags_free(&read) }
        return TrackTags(title: read.title.map { String(cString: $0) }, artist: read.artist.map { String(cString: $0) },
                         album: read.album.map { String(cString: $0) }, genre: read.genre.map { String(cString: $0) },
                         year: Self.positive(Int32(bitPattern: read.year)), trackNumber: Self.positive(Int32(bitPattern: read.track)),
                         duration: Self.positive(read.length), sampleRate: Self.positive(read.sample_rate),
                         channelCount: Self.positive(read.channels), bitrate: Self.positive(read.bitrate))
    }

    private static func readTextAndNumbers(_ tag: UnsafePointer<TagLib_Tag>, into tags: inout TrackTags) {
        tags.title = text(taglib_tag_title(tag))
        tags.artist = text(taglib_tag_artist(tag))
        tags.album = text(taglib_tag_album(tag))
        tags.genre = text(taglib_tag_genre(tag))
        tags.year = positive(Int32(bitPattern: taglib_tag_year(tag)))
        tags.trackNumber = positive(Int32(bitPattern: taglib_tag_track(tag)))
    }

    private static func readProperties(_ properties: UnsafePointer<TagLib_AudioProperties>,
                                       into tags: inout TrackTags) {
        tags.duration = positive(taglib_audioproperties_length(properties))
        tags.sampleRate = positive(taglib_audioproperties_samplerate(properties))
        tags.channelCount = positive(taglib_audioproperties_channels(properties))
        tags.bitrate = positive(taglib_audioproperties_bitrate(properties))
    }

    /// Takes ownership of a TagLib string: nil for NULL or empty, freed either way.
    private static func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        defer { taglib_free(pointer) }
        // String(cString:) repairs invalid UTF-8 rather than failing.
        let value = String(cString: pointer)
        return value.isEmpty ? nil : value
    }

    /// TagLib reports "absent" as 0.
    private static func positive(_ value: Int32) -> Int? {
        value > 0 ? Int(value) : nil
    }

    /// The parser for a sniffed format; the C API (TagLib 1.13) has no WAV, AIFF or Opus type, so those go by
    /// extension.
    private static func fileType(_ format: AudioFormat) -> TagLib_File_Type? {
        switch format {
        case .mp3: TagLib_File_MPEG
        case .flac: TagLib_File_FLAC
        case .oggVorbis: TagLib_File_OggVorbis
        case .mp4: TagLib_File_MP4
        case .asf: TagLib_File_ASF
        case .wavpack: TagLib_File_WavPack
        case .tta: TagLib_File_TrueAudio
        case .musepack: TagLib_File_MPC
        // TagLib's C API has no type for these (APE goes by extension); Matroska, AC-3, ADTS and CAF have no TagLib
        // parser at all: FFmpeg's metadata stands in (`FFmpegTags`).
        case .wav, .aiff, .opus, .ape, .matroska, .ac3, .eac3, .aac, .caf: nil
        }
    }
}

/// How a track is named to people everywhere (tables, reasons, playlists, the report): one spelling for one track.
public enum TrackName {
    /// "Artist - Title", or whichever of the two exists, else the file name without its extension; blank tags count
    /// as missing. A plain hyphen, as players read an m3u8's `#EXTINF` title.
    public static func display(artist: String?, title: String?, path: RawPath) -> String {
        switch (nonBlank(artist), nonBlank(title)) {
        case let (artist?, title?): "\(artist) - \(title)"
        case let (artist?, nil): artist
        case let (nil, title?): title
        case (nil, nil): path.fileStem
        }
    }

    private static func nonBlank(_ text: String?) -> String? {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return text
    }
}
