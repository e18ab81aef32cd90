import CSndfile
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// FLAC, WAV, AIFF, Ogg Vorbis and Opus through libsndfile, mixed down to mono.
final class SndfileSource: MonoSampleSource {
    let sampleRate: Int
    let channelCount: Int
    let declaredFrameCount: Int?
    var knowsExactLength: Bool { declaredFrameCount != nil }
    private let handle: OpaquePointer
    private let path: RawPath
    /// The open file libsndfile reads; kept open as long as this source (libsndfile does not close it).
    private let file: ReadOnlyFile
    /// Interleaved frames as libsndfile delivers them, before the mixdown.
    private var interleaved: [Float] = []

    /// Decodes `file` from its start on its own descriptor (libsndfile does not open the file again).
    init(file: ReadOnlyFile) throws(AudioFileError) {
        let path = file.path
        var info = SF_INFO()
        lseek(file.descriptor, 0, SEEK_SET)
        guard let handle = sf_open_fd(file.descriptor, Int32(SFM_READ), &info, 0) else {
            throw AudioFileError(origin: .sndfile, code: sf_error(nil), message: String(cString: sf_strerror(nil)),
                                 path: path)
        }
        self.handle = handle
        self.path = path
        self.file = file
        sampleRate = Int(info.samplerate)
        channelCount = Int(info.channels)
        // libsndfile reports SF_COUNT_MAX when the container does not know its length.
        declaredFrameCount = info.frames == Int64.max ? nil : Int(info.frames)
        if sampleRate <= 0 || channelCount <= 0 {
            throw AudioFileError(.noAudio, "no audio stream (rate \(sampleRate), channels \(channelCount))", path: path)
        }
    }

    deinit {
        sf_close(handle)
    }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) throws(AudioFileError) -> Int {
        let frames: Int
        if channelCount == 1 {
            frames = Int(sf_readf_float(handle, buffer.baseAddress, sf_count_t(buffer.count)))
        } else {
            frames = readMixingDown(into: buffer)
        }
        let code = sf_error(handle)
        if code != 0 {
            throw AudioFileError(origin: .sndfile, code: code, message: String(cString: sf_strerror(handle)),
                                 path: path)
        }
        return frames
    }

    private func readMixingDown(into buffer: UnsafeMutableBufferPointer<Float>) -> Int {
        let channels = channelCount
        if interleaved.count < buffer.count * channels {
            interleaved = [Float](repeating: 0, count: buffer.count * channels)
        }
        return interleaved.withUnsafeMutableBufferPointer { source in
            let frames = Int(sf_readf_float(handle, source.baseAddress, sf_count_t(buffer.count)))
            mixDown(source, channels: channels, frames: frames, into: buffer)
            return frames
        }
    }

    func seek(toFrame frame: Int) throws(AudioFileError) -> Bool {
        sf_seek(handle, sf_count_t(frame), SEEK_SET) >= 0
    }
}

/// Averages the channels of `frames` interleaved frames into `output`.
func mixDown(_ interleaved: UnsafeMutableBufferPointer<Float>, channels: Int, frames: Int,
             into output: UnsafeMutableBufferPointer<Float>) {
    let scale = 1 / Float(channels)
    if channels == 2 {
        for frame in 0..<frames {
            output[frame] = (interleaved[2 * frame] + interleaved[2 * frame + 1]) * scale
        }
        return
    }
    for frame in 0..<frames {
        var sum: Float = 0
        for channel in 0..<channels { sum += interleaved[frame * channels + channel] }
        output[frame] = sum * scale
    }
}
