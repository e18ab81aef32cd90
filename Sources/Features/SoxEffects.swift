import CSox
import Foundation

/// A libsox call that failed, with libsox's own error code (a `sox_error_t` value, or `SOX_EOF` = -1).
public struct SoxError: Error, CustomStringConvertible, Sendable, Equatable {
    /// libsox's return code.
    public let code: Int32
    /// The libsox call or effect that failed.
    public let operation: String

    /// The failing call and libsox's text for the code.
    public var description: String {
        // Option parsers and flows report a bad argument or a failed stream only as SOX_EOF.
        let reason = code == SOX_EOF.rawValue ? "invalid option or failed stream" : String(cString: sox_strerror(code))
        return "\(operation) failed: \(reason) (libsox code \(code))"
    }
}

/// libsox's `pitch` and `reverb` effects run over an in-memory mono excerpt, as CLMR does through WavAugment.
///
/// Samples go in and out through two small custom effects at the ends of a libsox effects chain, so nothing
/// touches the file system. Each call builds its own chain, but libsox is not thread-safe all the same (two
/// threads adding effects at once corrupted its heap: a crash in `sox_add_effect` while a training batch was built
/// on two threads), so one chain runs at a time.
public enum SoxEffects {
    private static let oneChainAtATime = NSLock()

    /// Shifts the pitch by `cents` without changing the duration: libsox `pitch` (WSOLA time stretch) then
    /// `rate` back to `sampleRate`, CLMR's chain. The result has exactly the input's length (trimmed or padded
    /// with silence at the end, as CLMR does).
    public static func pitchShifted(_ samples: [Float], cents: Int, sampleRate: Int) throws(SoxError) -> [Float] {
        try run(samples, sampleRate: sampleRate, effects: [("pitch", ["\(cents)"]), ("rate", [])])
    }

    /// libsox `tempo` alone (its WSOLA time stretch by `factor`, > 1 faster), trimmed or padded with silence to the
    /// input's length: what `WSOLAPitchShift` reproduces.
    static func tempoChanged(_ samples: [Float], factor: Double, sampleRate: Int) throws(SoxError) -> [Float] {
        try run(samples, sampleRate: sampleRate, effects: [("tempo", ["\(factor)"])])
    }

    /// Adds libsox `reverb` (Freeverb) with `reverberance`, `damping` (high-frequency damping) and `roomScale`,
    /// each in 0...100 percent, otherwise libsox's defaults as CLMR uses them: stereo depth 100 %, so the
    /// mono excerpt comes out as two decorrelated channels, which are mixed back to mono. Same length as the
    /// input: the tail past the end is cut.
    public static func reverberated(
        _ samples: [Float], reverberance: Int, damping: Int, roomScale: Int, sampleRate: Int
    ) throws(SoxError) -> [Float] {
        try run(samples, sampleRate: sampleRate, effects: [("reverb", ["\(reverberance)", "\(damping)", "\(roomScale)"])])
    }

    /// Initialises libsox once per process; the result of `sox_init`.
    private static let initialisation: Int32 = {
        let result = sox_init()
        if result == SOX_SUCCESS.rawValue {
            // Errors come back as SoxError; libsox printing its own messages to stderr would only duplicate them.
            sox_get_globals().pointee.verbosity = 0
        }
        return result
    }()

    // Input is scaled so its peak sits at -12 dBFS inside libsox: reverb adds energy and libsox clips at
    // full scale on its 32-bit integer samples, and 32 bits leave ample resolution after the scaling.
    private static let headroomPeak: Double = 0.25

    /// Runs `samples` through libsox effects given as (name, options), returns mono audio of the same length.
    private static func run(
        _ samples: [Float], sampleRate: Int, effects: [(name: String, options: [String])]
    ) throws(SoxError) -> [Float] {
        guard initialisation == SOX_SUCCESS.rawValue else { throw SoxError(code: initialisation, operation: "sox_init") }
        oneChainAtATime.lock()
        defer { oneChainAtATime.unlock() }
        let peak = samples.reduce(Float(0)) { max($0, abs($1)) }
        guard peak > 0, !samples.isEmpty else { return samples }
        let scale = headroomPeak / Double(peak)
        let stream = SampleStream(input: samples.map { Int32(Double($0) * scale * 2_147_483_648.0) })

        let encoding = UnsafeMutablePointer<sox_encodinginfo_t>.allocate(capacity: 1)
        defer { encoding.deallocate() }
        sox_init_encodinginfo(encoding)
        encoding.pointee.encoding = SOX_ENCODING_SIGN2
        encoding.pointee.bits_per_sample = 32
        guard let chain = sox_create_effects_chain(encoding, encoding) else {
            throw SoxError(code: SOX_ENOMEM.rawValue, operation: "sox_create_effects_chain")
        }
        defer { sox_delete_effects_chain(chain) }

        let target = sox_signalinfo_t(
            rate: Double(sampleRate), channels: 1, precision: 32, length: sox_uint64_t(samples.count), mult: nil)
        var signal = target
        let context = Unmanaged.passUnretained(stream).toOpaque()
        try withExtendedLifetime(stream) { () throws(SoxError) in
            try add(makeEndpoint(.input, context: context), to: chain, signal: &signal, target: target, name: "input")
            for (name, options) in effects {
                guard let effect = sox_create_effect(sox_find_effect(name)) else {
                    throw SoxError(code: SOX_EINVAL.rawValue, operation: "sox_find_effect(\(name))")
                }
                try setOptions(options, of: effect, name: name)
                try add(effect, to: chain, signal: &signal, target: target, name: name)
            }
            stream.outputChannels = Int(signal.channels)
            try add(makeEndpoint(.output, context: context), to: chain, signal: &signal, target: signal, name: "output")
            let result = sox_flow_effects(chain, nil, nil)
            // The output effect stops the flow with SOX_EOF once it has enough samples; that is not an error.
            guard result == SOX_SUCCESS.rawValue || stream.isFull else {
                throw SoxError(code: result, operation: "sox_flow_effects")
            }
        }
        return stream.monoOutput(length: samples.count, scale: Float(1 / (scale * 2_147_483_648.0)))
    }

    /// Passes `options` to an effect's option parser (libsox copies what it keeps).
    private static func setOptions(_ options: [String], of effect: UnsafeMutablePointer<sox_effect_t>, name: String) throws(SoxError) {
        var arguments = options.map { strdup($0) }
        defer { arguments.forEach { free($0) } }
        let result = sox_effect_options(effect, Int32(arguments.count), &arguments)
        guard result == SOX_SUCCESS.rawValue else {
            free(effect.pointee.priv)
            free(effect)
            throw SoxError(code: result, operation: "sox_effect_options(\(name) \(options.joined(separator: " ")))")
        }
    }

    /// Appends `effect` to `chain`; `signal` becomes the effect's output format. The chain keeps the effect's
    /// private data; the effect struct itself is ours to free, as in libsox's examples.
    private static func add(
        _ effect: UnsafeMutablePointer<sox_effect_t>, to chain: UnsafeMutablePointer<sox_effects_chain_t>,
        signal: inout sox_signalinfo_t, target: sox_signalinfo_t, name: String
    ) throws(SoxError) {
        var target = target
        let result = sox_add_effect(chain, effect, &signal, &target)
        if result != SOX_SUCCESS.rawValue { free(effect.pointee.priv) }
        free(effect)
        guard result == SOX_SUCCESS.rawValue else { throw SoxError(code: result, operation: "sox_add_effect(\(name))") }
    }

    private enum Endpoint { case input, output }

    /// A custom effect that feeds the chain from, or collects it into, the `SampleStream` at `context`.
    private static func makeEndpoint(_ endpoint: Endpoint, context: UnsafeMutableRawPointer) -> UnsafeMutablePointer<sox_effect_t> {
        var handler = sox_effect_handler_t()
        handler.flags = UInt32(SOX_EFF_MCHAN)
        handler.priv_size = MemoryLayout<UnsafeMutableRawPointer>.size
        switch endpoint {
        case .input:
            handler.name = cString("tunescore-input")
            handler.drain = { effect, buffer, count in
                SampleStream.from(effect).read(into: buffer!, count: count!)
            }
        case .output:
            handler.name = cString("tunescore-output")
            handler.flow = { effect, input, _, inputCount, outputCount in
                outputCount!.pointee = 0
                return SampleStream.from(effect).write(input!, count: inputCount!.pointee)
            }
        }
        let effect = sox_create_effect(&handler)!
        effect.pointee.priv.storeBytes(of: context, as: UnsafeMutableRawPointer.self)
        return effect
    }

    /// A C string that lives as long as the process, for libsox handler names.
    private static func cString(_ text: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
    }
}

/// The samples going into and coming out of one libsox chain run, reached from the C callbacks through the
/// endpoint effects' private pointer. Used by one thread only, for the length of one `SoxEffects.run`.
private final class SampleStream {
    let input: [Int32]
    var position = 0
    var output: [Int32] = []
    var outputChannels = 1

    init(input: [Int32]) {
        self.input = input
        output.reserveCapacity(input.count * 2)
    }

    /// Enough output frames arrived to cover the input; the rest (a reverb tail) would be cut anyway.
    var isFull: Bool { output.count >= input.count * outputChannels }

    static func from(_ effect: UnsafeMutablePointer<sox_effect_t>?) -> SampleStream {
        let context = effect!.pointee.priv.load(as: UnsafeMutableRawPointer.self)
        return Unmanaged<SampleStream>.fromOpaque(context).takeUnretainedValue()
    }

    /// Input drain: copies up to `count` samples into libsox's buffer; SOX_EOF when the input is used up.
    func read(into buffer: UnsafeMutablePointer<sox_sample_t>, count: UnsafeMutablePointer<Int>) -> Int32 {
        let n = min(count.pointee, input.count - position)
        input.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress! + position, count: n) }
        position += n
        count.pointee = n
        return n > 0 ? SOX_SUCCESS.rawValue : SOX_EOF.rawValue
    }

    /// Output flow: keeps `count` samples; SOX_EOF stops the chain once the output is long enough.
    func write(_ samples: UnsafePointer<sox_sample_t>, count: Int) -> Int32 {
        output.append(contentsOf: UnsafeBufferPointer(start: samples, count: count))
        return isFull ? SOX_EOF.rawValue : SOX_SUCCESS.rawValue
    }

    /// The collected output mixed to mono, scaled back, trimmed or zero-padded to `length` samples.
    func monoOutput(length: Int, scale: Float) -> [Float] {
        let channels = outputChannels
        let frames = min(length, output.count / channels)
        var mono = [Float](repeating: 0, count: length)
        for frame in 0..<frames {
            var sum: Float = 0
            for c in 0..<channels { sum += Float(output[frame * channels + c]) }
            mono[frame] = sum * scale / Float(channels)
        }
        return mono
    }
}
