import CFFmpeg

/// Audio through FFmpeg's demuxers and decoders, mixed down to mono: Ogg Vorbis and Opus, and every format only
/// FFmpeg reads here (MP4/M4A, ASF, Matroska/WebM, WavPack, TTA, AC-3, ADTS AAC, Musepack, APE, CAF).
///
/// FFmpeg's Vorbis and Opus decoders run 2-2.5x faster than libvorbis and libopus (which libsndfile uses) on
/// this machine, and decoding is most of the cost of reading music (docs/history/measurements-2026.md, "Decoding").
final class FFmpegSource: MonoSampleSource {
    let sampleRate: Int
    let channelCount: Int
    let declaredFrameCount: Int?
    /// False when FFmpeg guessed the length from the bitrate (raw ADTS AAC, AC-3): a seek plan needs the real one.
    let knowsExactLength: Bool
    private var container: UnsafeMutablePointer<AVFormatContext>?
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private let packet: UnsafeMutablePointer<AVPacket>
    private let frame: UnsafeMutablePointer<AVFrame>
    private let streamIndex: Int32
    private let timeBase: AVRational
    private let path: RawPath
    /// The demuxer's reads of the open file; kept as long as the container reads through it.
    private let input: FFmpegFileInput
    /// Decoded mono samples not yet handed out, from `pendingStart` on.
    private var pending: [Float] = []
    private var pendingStart = 0
    /// The demuxer has no more packets and the decoder was told so.
    private var inputEnded = false
    /// Packets that failed to decode since the last good frame.
    private var consecutiveErrors = 0
    /// After a seek: the source frame where reading resumes; decoded samples before it are dropped.
    private var seekTarget: Int?

    private static let quietLogging: Void = tunescore_av_quiet()

    /// Demuxes and decodes `file` through its own descriptor (FFmpeg does not open the file again).
    init(file: ReadOnlyFile) throws(AudioFileError) {
        _ = Self.quietLogging
        let path = file.path
        self.path = path
        guard let input = FFmpegFileInput(file: file), let packet = av_packet_alloc(), let frame = av_frame_alloc() else {
            throw AudioFileError(origin: .ffmpeg, code: -12, message: "out of memory", path: path)
        }
        self.input = input
        self.packet = packet
        self.frame = frame
        var opening = avformat_alloc_context()
        opening?.pointee.pb = input.context
        // With `pb` set, the path only names the file (FFmpeg's probe weighs its extension); nothing opens it.
        let opened = opening == nil ? -12 : path.withCString { avformat_open_input(&opening, $0, nil, nil) }
        var codec: UnsafePointer<AVCodec>?
        var found = opened < 0 ? opened : av_find_best_stream(opening, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0)
        if opened >= 0 && found < 0 {
            // Raw streams (ADTS AAC, AC-3) show their stream only once a few frames are read.
            _ = avformat_find_stream_info(opening, nil)
            found = av_find_best_stream(opening, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0)
        }
        guard opened >= 0, found >= 0, let container = opening, let codec else {
            let code = opened < 0 ? opened : found
            // Members are not all set yet, so deinit does not run: free what exists here.
            avformat_close_input(&opening)
            Self.free(packet, frame)
            throw AudioFileError(origin: .ffmpeg, code: code, message: Self.message(code), path: path)
        }
        self.container = container
        streamIndex = found
        var stream = container.pointee.streams[Int(found)]!
        if let problem = Self.unsupportedContent(container, audio: stream) {
            // Members are not all set yet, so deinit does not run: free what exists here.
            var opened: UnsafeMutablePointer<AVFormatContext>? = container
            avformat_close_input(&opened)
            Self.free(packet, frame)
            throw AudioFileError(problem.kind, problem.message, path: path)
        }
        // Raw streams (ADTS AAC, AC-3) announce their rate and channels only in the frames: read a few.
        if stream.pointee.codecpar.pointee.sample_rate <= 0 || stream.pointee.codecpar.pointee.ch_layout.nb_channels <= 0 {
            _ = avformat_find_stream_info(container, nil)
            stream = container.pointee.streams[Int(found)]!
        }
        timeBase = stream.pointee.time_base
        let parameters = stream.pointee.codecpar!
        sampleRate = Int(parameters.pointee.sample_rate)
        channelCount = Int(parameters.pointee.ch_layout.nb_channels)
        let duration = stream.pointee.duration
        declaredFrameCount = duration == tunescore_av_nopts() || duration <= 0 || timeBase.den == 0 ? nil
            : Int((Double(duration) * Double(timeBase.num) * Double(sampleRate) / Double(timeBase.den)).rounded())
        knowsExactLength = declaredFrameCount != nil && container.pointee.duration_estimation_method != AVFMT_DURATION_FROM_BITRATE
        decoder = avcodec_alloc_context3(codec)
        var code = decoder == nil ? -12 : avcodec_parameters_to_context(decoder, parameters)
        if code >= 0 { code = avcodec_open2(decoder, codec, nil) }
        if code < 0 { throw AudioFileError(origin: .ffmpeg, code: code, message: Self.message(code), path: path) }
        if sampleRate <= 0 || channelCount <= 0 {
            throw AudioFileError(.noAudio, "no audio stream (rate \(sampleRate), channels \(channelCount))", path: path)
        }
    }

    /// The container's and the audio stream's metadata (`FFmpegTags`).
    var containerTags: TrackTags? { FFmpegTags.tags(of: container!, audioStream: streamIndex) }

    /// A DRM-protected audio track or a video stream (cover art aside): what this source refuses to read.
    private static func unsupportedContent(_ container: UnsafeMutablePointer<AVFormatContext>, audio: UnsafeMutablePointer<AVStream>)
        -> (kind: AudioFileError.ContentProblem, message: String)? {
        let tag = audio.pointee.codecpar.pointee.codec_tag
        let protectedTags: Set<UInt32> = ["drms", "enca", "encv", "sinf"].map { name in
            name.utf8.reversed().reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        }.reduce(into: []) { $0.insert($1) }
        if protectedTags.contains(tag) { return (.protected, "the audio is protected (DRM-encrypted) and cannot be decoded") }
        for index in 0..<Int(container.pointee.nb_streams) {
            let stream = container.pointee.streams[index]!
            let isVideo = stream.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
            if isVideo && stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0 {
                return (.video, "a video file (only audio-only files are music here)")
            }
        }
        return nil
    }

    deinit {
        avcodec_free_context(&decoder)
        avformat_close_input(&container)
        Self.free(packet, frame)
    }

    private static func free(_ packet: UnsafeMutablePointer<AVPacket>, _ frame: UnsafeMutablePointer<AVFrame>) {
        var packet: UnsafeMutablePointer<AVPacket>? = packet, frame: UnsafeMutablePointer<AVFrame>? = frame
        av_packet_free(&packet)
        av_frame_free(&frame)
    }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(AudioFileError) -> Int {
        var written = 0
        while written < buffer.count {
            if pendingStart < pending.count {
                let count = min(buffer.count - written, pending.count - pendingStart)
                pending.withUnsafeBufferPointer { source in
                    (buffer.baseAddress! + written).update(from: source.baseAddress! + pendingStart, count: count)
                }
                pendingStart += count
                written += count
                continue
            }
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
            if try !decodeNextFrame() { break }
        }
        return written
    }

    func seek(toFrame target: Int) throws(AudioFileError) -> Bool {
        guard timeBase.num > 0, sampleRate > 0 else { return false }
        let timestamp = Int64((Double(target) * Double(timeBase.den) / (Double(timeBase.num) * Double(sampleRate))).rounded(.down))
        guard av_seek_frame(container, streamIndex, timestamp, AVSEEK_FLAG_BACKWARD) >= 0 else { return false }
        avcodec_flush_buffers(decoder)
        pending.removeAll(keepingCapacity: true)
        pendingStart = 0
        inputEnded = false
        seekTarget = target
        return true
    }

    /// Decodes one more frame into `pending` (possibly adding nothing, after a seek); false at the end of the stream.
    private func decodeNextFrame() throws(AudioFileError) -> Bool {
        while true {
            let received = avcodec_receive_frame(decoder, frame)
            if received == 0 {
                consecutiveErrors = 0
                defer { av_frame_unref(frame) }
                try appendMixedDown(frame)
                return true
            }
            if received == tunescore_av_error_eof() { return false }
            if received != tunescore_av_error_again() {
                // A damaged packet loses its few milliseconds, as players do; a stream of nothing else fails.
                try countDecodeError(received)
                continue
            }
            if inputEnded { return false }
            try sendNextPacket()
        }
    }

    /// Hands the decoder the stream's next packet, or the end of input when the container has no more.
    private func sendNextPacket() throws(AudioFileError) {
        while true {
            let read = av_read_frame(container, packet)
            if read < 0 {
                guard read == tunescore_av_error_eof() else { throw error(read) }
                inputEnded = true
                _ = avcodec_send_packet(decoder, nil)
                return
            }
            defer { av_packet_unref(packet) }
            if packet.pointee.stream_index != streamIndex { continue }
            let sent = avcodec_send_packet(decoder, packet)
            if sent < 0 && sent != tunescore_av_error_again() {
                try countDecodeError(sent)
                continue
            }
            return
        }
    }

    /// Appends `frame`'s samples, averaged over channels, to `pending`, dropping what lies before a seek target.
    private func appendMixedDown(_ frame: UnsafeMutablePointer<AVFrame>) throws(AudioFileError) {
        let count = Int(frame.pointee.nb_samples)
        let channels = Int(frame.pointee.ch_layout.nb_channels)
        let skip = samplesBeforeSeekTarget(frame, count: count)
        guard skip < count, channels > 0 else { return }
        let format = AVSampleFormat(frame.pointee.format)
        guard let reader = SampleReader(format) else {
            throw AudioFileError(.unexpectedLayout, "FFmpeg decoded sample format \(frame.pointee.format), which tunescore does not read",
                                 path: path)
        }
        let planar = av_sample_fmt_is_planar(format) != 0
        let scale = 1 / Float(channels)
        let start = pending.count - skip
        pending.append(contentsOf: repeatElement(0, count: count - skip))
        guard let planes = frame.pointee.extended_data else { return }
        pending.withUnsafeMutableBufferPointer { output in
            if planar {
                for channel in 0..<channels {
                    guard let bytes = planes[channel] else { continue }
                    for i in skip..<count { output[start + i] += reader.sample(UnsafeRawPointer(bytes), i) * scale }
                }
            } else if let bytes = planes[0] {
                for i in skip..<count {
                    var sum: Float = 0
                    for channel in 0..<channels { sum += reader.sample(UnsafeRawPointer(bytes), i * channels + channel) }
                    output[start + i] = sum * scale
                }
            }
        }
    }

    /// How many of `frame`'s first samples lie before the pending seek target (clearing it once reached).
    private func samplesBeforeSeekTarget(_ frame: UnsafeMutablePointer<AVFrame>, count: Int) -> Int {
        guard let target = seekTarget else { return 0 }
        let timestamp = frame.pointee.best_effort_timestamp
        // Without a timestamp the frame's place is unknown: drop it and wait for one that has one.
        guard timestamp != tunescore_av_nopts() else { return count }
        let position = Int((Double(timestamp) * Double(timeBase.num) * Double(sampleRate) / Double(timeBase.den)).rounded())
        if position + count <= target { return count }
        seekTarget = nil
        return max(0, target - position)
    }

    /// Skips a packet that did not decode, unless so many failed in a row that the stream is not audio we can read.
    private func countDecodeError(_ code: Int32) throws(AudioFileError) {
        consecutiveErrors += 1
        if consecutiveErrors > 50 { throw error(code) }
    }

    private func error(_ code: Int32) -> AudioFileError {
        AudioFileError(origin: .ffmpeg, code: code, message: Self.message(code), path: path)
    }

    private static func message(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: 256)
        if av_strerror(code, &text, text.count) < 0 { return "FFmpeg error \(code)" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Reads one sample of a decoded FFmpeg buffer as a Float in [-1, 1], whatever its sample format (planar or packed:
/// the index is the caller's).
private struct SampleReader {
    let sample: (UnsafeRawPointer, Int) -> Float

    init?(_ format: AVSampleFormat) {
        switch format {
        case AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_FLTP:
            sample = { $0.load(fromByteOffset: $1 * 4, as: Float.self) }
        case AV_SAMPLE_FMT_DBL, AV_SAMPLE_FMT_DBLP:
            sample = { Float($0.load(fromByteOffset: $1 * 8, as: Double.self)) }
        case AV_SAMPLE_FMT_S16, AV_SAMPLE_FMT_S16P:
            sample = { Float($0.load(fromByteOffset: $1 * 2, as: Int16.self)) / 32_768 }
        case AV_SAMPLE_FMT_S32, AV_SAMPLE_FMT_S32P:
            sample = { Float($0.load(fromByteOffset: $1 * 4, as: Int32.self)) / 2_147_483_648 }
        case AV_SAMPLE_FMT_U8, AV_SAMPLE_FMT_U8P:
            sample = { (Float($0.load(fromByteOffset: $1, as: UInt8.self)) - 128) / 128 }
        default:
            return nil
        }
    }
}
