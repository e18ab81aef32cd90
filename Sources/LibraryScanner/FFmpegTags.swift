import CFFmpeg

/// Tags from FFmpeg's metadata (the container's, then the audio stream's): for formats TagLib cannot parse
/// (Matroska/WebM, and any file whose tags TagLib does not find).
enum FFmpegTags {
    /// The tags of the file at `path`; empty when FFmpeg cannot open it or it has none.
    static func read(path: RawPath) -> TrackTags {
        var container: UnsafeMutablePointer<AVFormatContext>?
        guard path.withCString({ avformat_open_input(&container, $0, nil, nil) }) >= 0, let opened = container else { return TrackTags() }
        defer { avformat_close_input(&container) }
        return tags(of: opened, audioStream: av_find_best_stream(opened, AVMEDIA_TYPE_AUDIO, -1, -1, nil, 0))
    }

    /// The tags in an open container's metadata, then in its stream `audioStream`'s (when not negative).
    static func tags(of container: UnsafeMutablePointer<AVFormatContext>, audioStream audio: Int32) -> TrackTags {
        var dictionaries = [container.pointee.metadata]
        if audio >= 0 { dictionaries.append(container.pointee.streams[Int(audio)]!.pointee.metadata) }
        func value(_ key: String) -> String? {
            for dictionary in dictionaries {
                // Matching ignores case (AV_DICT_MATCH_CASE unset): Matroska writes TITLE, MP4 title.
                if let entry = av_dict_get(dictionary, key, nil, 0), let text = entry.pointee.value {
                    let string = String(cString: text).trimmingWhitespace
                    if !string.isEmpty { return string }
                }
            }
            return nil
        }
        func leadingNumber(_ text: String?) -> Int? {
            text.flatMap { Int(String($0.prefix { $0.isNumber })) }.flatMap { $0 > 0 ? $0 : nil }
        }
        return TrackTags(title: value("title"), artist: value("artist") ?? value("album_artist"), album: value("album"),
                         genre: value("genre"), year: leadingNumber(value("date") ?? value("year")),
                         trackNumber: leadingNumber(value("track")))
    }
}

private extension String {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
