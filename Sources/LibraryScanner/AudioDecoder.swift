/// A whole file decoded to mono at the decoder's target rate.
public struct DecodedAudio: Sendable {
    /// Mono samples in [-1, 1] at `sampleRate`.
    public let samples: [Float]
    /// Samples per second of `samples` (the decoder's target rate).
    public let sampleRate: Int
    /// Length of the source in seconds, from the frames actually decoded.
    public let sourceDuration: Double
    /// The source's own sample rate, before resampling.
    public let sourceSampleRate: Int
    /// The source's channel count, before the mixdown.
    public let sourceChannelCount: Int
    /// The format recognised from the content.
    public let format: AudioFormat
}

/// What a quick look at a stream found, without decoding all of it.
public struct AudioStreamInfo: Sendable, Equatable {
    /// The format recognised from the content.
    public let format: AudioFormat
    /// The stream's own rate and channel count.
    public let sampleRate: Int
    public let channelCount: Int
    /// Length in seconds.
    public let duration: Double
}

/// Decodes audio files to mono Float samples at one target rate.
///
/// MP3 goes through libmpg123; FLAC, WAV, AIFF, Ogg Vorbis and Opus through libsndfile; libsoxr resamples.
/// The format is recognised from the content, not the name. Channels are averaged before resampling, and the
/// file is read in blocks so only the output is held in memory.
public struct AudioDecoder: Sendable {
    /// Samples per second of every output.
    public let targetSampleRate: Int
    /// The libsoxr recipe used to get there.
    public let quality: ResampleQuality
    /// Source frames read per block.
    let blockFrames = 16384
    /// Excerpts start decoding 1/10 s early (see `decodeExcerpts`).
    let excerptLeadInDivisor = 10

    /// - Parameters:
    ///   - targetSampleRate: output rate in Hz (16 kHz is what the model uses).
    ///   - quality: libsoxr recipe. `.high` (libsoxr's default) is the default: measured within a few per cent
    ///     of `.medium` and `.low` here, because decoding, not resampling, dominates the time.
    public init(targetSampleRate: Int = 16000, quality: ResampleQuality = .high) {
        self.targetSampleRate = targetSampleRate
        self.quality = quality
    }

    /// Decodes the whole file.
    ///
    /// - Throws: `AudioFileError` when the file cannot be opened, is not audio, or the decoder fails mid-stream.
    public func decode(path: RawPath) throws(AudioFileError) -> DecodedAudio {
        let audio = try AudioFile(path: path)
        let format = audio.format
        let source = try openSampleSource(audio)
        let resampler = try Resampler(inputRate: source.sampleRate, outputRate: targetSampleRate, quality: quality,
                                      path: path)
        var samples: [Float] = []
        if let frames = source.declaredFrameCount {
            samples.reserveCapacity(Int(Double(frames) * Double(targetSampleRate) / Double(source.sampleRate)) + 64)
        }
        let framesRead = try pump(source, through: resampler, frameLimit: nil, into: &samples)
        try resampler.flush(appendingTo: &samples)
        if framesRead == 0 { throw AudioFileError(.noAudio, "the stream holds no audio frames", path: path) }
        return DecodedAudio(samples: samples, sampleRate: targetSampleRate,
                            sourceDuration: Double(framesRead) / Double(source.sampleRate),
                            sourceSampleRate: source.sampleRate, sourceChannelCount: source.channelCount,
                            format: format)
    }

    /// Decodes `length` seconds starting at each of `starts` (seconds), seeking between them, so a long file is
    /// never held whole.
    ///
    /// Each excerpt has `round(length * targetSampleRate)` samples, except where the file ends sooner: then it is
    /// shorter (callers pad). Starts beyond the end give empty excerpts. Results follow the order of `starts`.
    /// - Throws: `AudioFileError` as `decode(path:)`.
    public func decodeExcerpts(path: RawPath, starts: [Double], length: Double) throws(AudioFileError) -> [[Float]] {
        let source = try openSampleSource(AudioFile(path: path))
        let resampler = try Resampler(inputRate: source.sampleRate, outputRate: targetSampleRate, quality: quality,
                                      path: path)
        let samples = starts.map { max(0, Int(($0 * Double(targetSampleRate)).rounded())) }
        return try excerpts(of: source, resampler: resampler, at: samples, length: Int((length * Double(targetSampleRate)).rounded()))
            .map(\.samples)
    }

    /// Decodes only the excerpts `plan` chooses, opening the file once: what scoring reads.
    ///
    /// `plan` gets the number of samples a whole decode would give at the target rate and returns the excerpts' starts
    /// (in those samples, ascending). The length comes from the container (every MP3 frame header is read, not
    /// decoded); where the container only estimates it (FFmpeg's bitrate guess) or does not say, the whole file is
    /// decoded in memory and the excerpts cut from it. Each excerpt starts decoding about 0.1 s early, at an input frame
    /// that maps exactly onto an output sample, so it holds the same samples a whole decode holds there (within the
    /// resampler's float rounding).
    /// - Throws: `AudioFileError` as `decode(path:)`.
    public func decodeExcerpts(path: RawPath, length: Int, plan: (Int) -> [Int]) throws(AudioFileError) -> DecodedExcerpts {
        try decodeExcerpts(AudioFile(path: path), length: length, plan: plan)
    }

    /// Decodes only the excerpts `plan` chooses of a file already open, on its descriptor (as
    /// `decodeExcerpts(path:length:plan:)`): the file is not opened again. Where FFmpeg decodes it, the result carries the
    /// container's tags too (`DecodedExcerpts.containerTags`), read from the same open.
    /// - Throws: `AudioFileError` as `decode(path:)`.
    public func decodeExcerpts(_ audio: AudioFile, length: Int, plan: (Int) -> [Int]) throws(AudioFileError) -> DecodedExcerpts {
        let (path, format) = (audio.path, audio.format)
        let source = try openSampleSource(audio)
        let resampler = try Resampler(inputRate: source.sampleRate, outputRate: targetSampleRate, quality: quality, path: path)
        var frames = source.knowsExactLength ? source.declaredFrameCount : nil
        if let mpeg = source as? Mpg123Source { frames = try mpeg.scanLength() }
        guard let frames, frames > 0 else {
            return try cutFromWholeDecode(source, resampler: resampler, format: format, length: length, plan: plan, path: path)
        }
        let sampleCount = resampledCount(frames, from: source.sampleRate)
        let excerpts = try excerpts(of: source, resampler: resampler, at: plan(sampleCount), length: length)
        return DecodedExcerpts(sampleCount: sampleCount, sampleRate: targetSampleRate, excerpts: excerpts,
                               sourceDuration: Double(frames) / Double(source.sampleRate), format: format, decodedWhole: false,
                               containerTags: source.containerTags)
    }

    /// Decodes `length` samples at each of `starts` (samples at the target rate, ascending for sources that cannot seek).
    /// Decoding starts about 0.1 s early, at an input frame that maps exactly onto an output sample, and the lead-in is
    /// dropped: right after a seek MP3's bit reservoir is empty and the resampler starts from silence.
    private func excerpts(of source: any MonoSampleSource, resampler: Resampler, at starts: [Int], length: Int)
        throws(AudioFileError) -> [DecodedExcerpts.Excerpt] {
        let alignment = RateAlignment(inputRate: source.sampleRate, outputRate: targetSampleRate)
        var position = 0
        var excerpts: [DecodedExcerpts.Excerpt] = []
        for start in starts {
            let anchor = alignment.anchor(before: max(0, start - targetSampleRate / excerptLeadInDivisor))
            position = try move(source, from: position, to: anchor.input)
            resampler.reset()
            var samples: [Float] = []
            let dropped = start - anchor.output
            samples.reserveCapacity(dropped + length + 2048)
            // Decoding runs 50 ms past the excerpt: the resampler's last outputs see the input that follows them, as in
            // a whole decode, rather than the zeros its flush adds.
            let inputFrames = Int((Double(dropped + length) / alignment.ratio).rounded(.up)) + source.sampleRate / 20
            position += try pump(source, through: resampler, frameLimit: inputFrames, into: &samples)
            try resampler.flush(appendingTo: &samples)
            excerpts.append(.init(start: start, samples: Array(samples.dropFirst(dropped).prefix(length))))
        }
        return excerpts
    }

    /// The excerpts of a file whose length is not known up front: all of it decoded (in memory), the excerpts kept.
    private func cutFromWholeDecode(_ source: any MonoSampleSource, resampler: Resampler, format: AudioFormat, length: Int,
                                    plan: (Int) -> [Int], path: RawPath) throws(AudioFileError) -> DecodedExcerpts {
        var samples: [Float] = []
        let framesRead = try pump(source, through: resampler, frameLimit: nil, into: &samples)
        try resampler.flush(appendingTo: &samples)
        if framesRead == 0 { throw AudioFileError(.noAudio, "the stream holds no audio frames", path: path) }
        let excerpts = plan(samples.count).map { start in
            DecodedExcerpts.Excerpt(start: start, samples: Array(samples[min(start, samples.count)..<min(start + length, samples.count)]))
        }
        return DecodedExcerpts(sampleCount: samples.count, sampleRate: targetSampleRate, excerpts: excerpts,
                               sourceDuration: Double(framesRead) / Double(source.sampleRate), format: format, decodedWhole: true,
                               containerTags: source.containerTags)
    }

    /// How many samples libsoxr makes of `frames` input frames at `rate` once flushed.
    func resampledCount(_ frames: Int, from rate: Int) -> Int {
        rate == targetSampleRate ? frames : Int((Double(frames) * Double(targetSampleRate) / Double(rate)).rounded())
    }

    /// Decodes `count` excerpts of `length` seconds spread evenly over the file (the centres of `count` equal
    /// parts), e.g. for training crops. A file shorter than `length` gives one shorter excerpt per request.
    /// - Throws: `AudioFileError` as `decode(path:)`.
    public func decodeExcerpts(path: RawPath, count: Int, length: Double) throws(AudioFileError) -> [[Float]] {
        let duration = try inspect(path: path, verifyingEnd: false).duration
        let room = max(0, duration - length)
        let starts = (0..<count).map { room * (Double($0) + 0.5) / Double(count) }
        return try decodeExcerpts(path: path, starts: starts, length: length)
    }

    /// Recognises the format and reads the stream's rate, channels and length without decoding it all.
    ///
    /// With `verifyingEnd`, the first block and the last second are decoded too, so a truncated or corrupt
    /// file is caught here (as `.content`/`.truncated` or the decoder's own error) rather than in training.
    /// MP3 frame headers are all read (not decoded) so its length is exact.
    /// - Throws: `AudioFileError`.
    public func inspect(path: RawPath, verifyingEnd: Bool = true) throws(AudioFileError) -> AudioStreamInfo {
        let audio = try AudioFile(path: path)
        let format = audio.format
        let source = try openSampleSource(audio)
        var frames = source.declaredFrameCount
        if let mpeg = source as? Mpg123Source { frames = try scannedLength(of: mpeg, path: path) }
        if let declared = frames, verifyingEnd {
            try verifyReadable(source, declaredFrames: declared, path: path)
        }
        let length: Int
        if let frames { length = frames } else { length = try countFrames(source) }
        if length == 0 {
            // libsndfile finds an Ogg stream's length on its last page and decodes nothing when that page is missing,
            // so a cut-off Ogg file ends up here.
            throw AudioFileError(.noAudio, "no audio frames decode: the stream is empty or cut off", path: path)
        }
        return AudioStreamInfo(format: format, sampleRate: source.sampleRate, channelCount: source.channelCount,
                               duration: Double(length) / Double(source.sampleRate))
    }

    /// Decodes the first block and the final second and checks that the end is where the header says.
    /// All formats decoded here can seek, so a failed seek to the final second means the data is not there.
    private func verifyReadable(_ source: any MonoSampleSource, declaredFrames: Int,
                                path: RawPath) throws(AudioFileError) {
        var scratch = [Float](repeating: 0, count: blockFrames)
        _ = try scratch.withUnsafeMutableBufferPointer { buffer throws(AudioFileError) in try source.read(into: buffer) }
        let tailStart = max(0, declaredFrames - source.sampleRate)
        let declared = seconds(declaredFrames, rate: source.sampleRate)
        guard try source.seek(toFrame: tailStart) else {
            let target = seconds(tailStart, rate: source.sampleRate)
            throw AudioFileError(.truncated, "the header declares \(declared) but seeking to \(target) fails",
                                 path: path)
        }
        var position = tailStart
        while true {
            let got = try scratch.withUnsafeMutableBufferPointer { buffer throws(AudioFileError) in
                try source.read(into: buffer)
            }
            if got == 0 { break }
            position += got
        }
        // Half a second of slack: encoders and decoders disagree about padding at the end, and real Ogg files
        // (Debian's Wesnoth soundtrack) end a fraction of a second before their last granule position says.
        if position + source.sampleRate / 2 < declaredFrames {
            let found = seconds(position, rate: source.sampleRate)
            throw AudioFileError(.truncated, "the header declares \(declared) but the stream ends at \(found)",
                                 path: path)
        }
    }

    /// The exact length of an MPEG stream from all its frame headers; a stream shorter than its LAME/Xing header
    /// says is truncated (the tail check cannot see that: after the scan the length is what is there).
    private func scannedLength(of source: Mpg123Source, path: RawPath) throws(AudioFileError) -> Int {
        let declared = source.declaredFrameCount
        let scanned = try source.scanLength()
        if source.hasExactDeclaredLength, let declared, scanned + source.sampleRate / 10 < declared {
            let expected = seconds(declared, rate: source.sampleRate)
            let found = seconds(scanned, rate: source.sampleRate)
            throw AudioFileError(.truncated, "the LAME/Xing header declares \(expected) but the frames end at \(found)",
                                 path: path)
        }
        return scanned
    }

    /// Reads to the end, for containers that do not declare their length.
    private func countFrames(_ source: any MonoSampleSource) throws(AudioFileError) -> Int {
        var scratch = [Float](repeating: 0, count: blockFrames)
        var total = 0
        while true {
            let got = try scratch.withUnsafeMutableBufferPointer { buffer throws(AudioFileError) in
                try source.read(into: buffer)
            }
            if got == 0 { return total }
            total += got
        }
    }

    /// Positions `source` at `target`: seeks when it can, otherwise reads forward (a backwards move without
    /// seeking is impossible and stays put). Returns the new position.
    private func move(_ source: any MonoSampleSource, from position: Int, to target: Int) throws(AudioFileError)
        -> Int
    {
        if target == position { return position }
        if try source.seek(toFrame: target) { return target }
        var current = position
        var scratch = [Float](repeating: 0, count: blockFrames)
        while current < target {
            let want = min(blockFrames, target - current)
            let got = try scratch.withUnsafeMutableBufferPointer { buffer throws(AudioFileError) in
                try source.read(into: UnsafeMutableBufferPointer(rebasing: buffer[..<want]))
            }
            if got == 0 { break }
            current += got
        }
        return current
    }

    /// Reads blocks from `source` (all of them, or `frameLimit` frames), resampling into `output`.
    /// Returns the number of source frames read.
    private func pump(_ source: any MonoSampleSource, through resampler: Resampler, frameLimit: Int?,
                      into output: inout [Float]) throws(AudioFileError) -> Int {
        var block = [Float](repeating: 0, count: blockFrames)
        var total = 0
        while frameLimit.map({ total < $0 }) ?? true {
            let want = min(blockFrames, (frameLimit ?? Int.max) - total)
            let got = try block.withUnsafeMutableBufferPointer { buffer throws(AudioFileError) in
                let wanted = UnsafeMutableBufferPointer(rebasing: buffer[..<want])
                let got = try source.read(into: wanted)
                try resampler.process(UnsafeBufferPointer(rebasing: wanted[..<got]), appendingTo: &output)
                return got
            }
            if got == 0 { break }
            total += got
        }
        return total
    }
}

/// Some of a file's excerpts, decoded at the target rate (`AudioDecoder.decodeExcerpts(path:length:plan:)`).
public struct DecodedExcerpts: Sendable {
    /// One excerpt: where it starts (samples at `sampleRate`) and its samples, shorter where the file ends sooner.
    public struct Excerpt: Sendable {
        public let start: Int
        public let samples: [Float]
    }

    /// Samples a whole decode gives at `sampleRate`: the length the excerpts were planned from.
    public let sampleCount: Int
    public let sampleRate: Int
    /// In the plan's order.
    public let excerpts: [Excerpt]
    /// Length of the source in seconds.
    public let sourceDuration: Double
    public let format: AudioFormat
    /// True when the container did not say its length and the whole file was decoded to find it.
    public let decodedWhole: Bool
    /// The tags in the container's metadata when FFmpeg decoded the file (read from the decoder's own open); nil for
    /// the files libmpg123 and libsndfile decode, whose tags `TagReader` reads.
    public let containerTags: TrackTags?
}

/// Where decoding can start so that an input frame lands exactly on an output sample: `inputRate / g` input frames
/// make exactly `outputRate / g` output samples (g the rates' greatest common divisor).
struct RateAlignment {
    let inputBlock: Int
    let outputBlock: Int
    let ratio: Double

    init(inputRate: Int, outputRate: Int) {
        var (a, b) = (inputRate, outputRate)
        while b != 0 { (a, b) = (b, a % b) }
        inputBlock = inputRate / a
        outputBlock = outputRate / a
        ratio = Double(outputRate) / Double(inputRate)
    }

    /// The last aligned (input frame, output sample) pair at or before output sample `sample`.
    func anchor(before sample: Int) -> (input: Int, output: Int) {
        let blocks = max(0, sample) / outputBlock
        return (blocks * inputBlock, blocks * outputBlock)
    }
}

/// `frames` at `rate` as seconds with two decimals, e.g. "2.50 s".
func seconds(_ frames: Int, rate: Int) -> String {
    let hundredths = Int((Double(frames) * 100 / Double(rate)).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) s"
}
