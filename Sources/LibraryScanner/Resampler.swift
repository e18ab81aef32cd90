import CSoxr

/// How carefully libsoxr resamples; faster recipes let more aliasing through near the new Nyquist frequency.
public enum ResampleQuality: Sendable {
    /// Cubic interpolation (SOXR_QQ): fastest, audible aliasing.
    case quick
    /// 16-bit precision with a wide roll-off (SOXR_LQ).
    case low
    /// 16-bit precision with a medium roll-off (SOXR_MQ).
    case medium
    /// 20-bit precision (SOXR_HQ), libsoxr's default.
    case high

    var recipe: UInt {
        switch self {
        case .quick: UInt(SOXR_QQ)
        case .low: UInt(SOXR_LQ)
        case .medium: UInt(SOXR_MQ)
        case .high: UInt(SOXR_20_BITQ)
        }
    }
}

/// A streaming mono Float resampler over libsoxr; passes samples through when the rates are equal.
final class Resampler {
    private let handle: soxr_t?
    private let ratio: Double
    private let path: RawPath
    private var output: [Float] = []

    init(inputRate: Int, outputRate: Int, quality: ResampleQuality, path: RawPath) throws(AudioFileError) {
        self.path = path
        ratio = Double(outputRate) / Double(inputRate)
        guard inputRate != outputRate else {
            handle = nil
            return
        }
        var error: soxr_error_t?
        var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var qualitySpec = soxr_quality_spec(quality.recipe, 0)
        var runtimeSpec = soxr_runtime_spec(1)
        let handle = soxr_create(Double(inputRate), Double(outputRate), 1, &error, &ioSpec, &qualitySpec,
                                 &runtimeSpec)
        if let error {
            soxr_delete(handle)
            throw AudioFileError(origin: .soxr, code: 0, message: String(cString: error), path: path)
        }
        self.handle = handle
    }

    deinit {
        soxr_delete(handle)
    }

    /// Resamples `input` and appends what is ready to `result`.
    func process(_ input: UnsafeBufferPointer<Float>, appendingTo result: inout [Float]) throws(AudioFileError) {
        guard let handle else {
            result.append(contentsOf: input)
            return
        }
        var consumed = 0
        repeat {
            let remaining = UnsafeBufferPointer(rebasing: input[consumed...])
            let (used, produced) = try run(handle, remaining.baseAddress, remaining.count)
            result.append(contentsOf: output.prefix(produced))
            consumed += used
        } while consumed < input.count
    }

    /// Drains the filter's delay line at the end of the input and appends it to `result`.
    func flush(appendingTo result: inout [Float]) throws(AudioFileError) {
        guard let handle else { return }
        while true {
            let (_, produced) = try run(handle, nil, 0)
            if produced == 0 { return }
            result.append(contentsOf: output.prefix(produced))
        }
    }

    /// Forgets the stream so far, ready for an unrelated piece of the same source.
    func reset() {
        if let handle { soxr_clear(handle) }
    }

    /// One soxr_process call; a nil `input` means the end of the input.
    private func run(_ handle: soxr_t, _ input: UnsafePointer<Float>?, _ count: Int) throws(AudioFileError)
        -> (used: Int, produced: Int)
    {
        let capacity = Int(Double(count) * ratio) + 1024
        if output.count < capacity { output = [Float](repeating: 0, count: capacity) }
        var used = 0, produced = 0
        let error = output.withUnsafeMutableBufferPointer { out in
            soxr_process(handle, input, count, &used, out.baseAddress, capacity, &produced)
        }
        if let error {
            throw AudioFileError(origin: .soxr, code: 0, message: String(cString: error), path: path)
        }
        return (used, produced)
    }
}
