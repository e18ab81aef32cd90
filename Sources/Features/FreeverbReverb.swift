import Foundation

/// libsox's `reverb` effect computed in tunescore, with libsox's design and parameter mapping as CLMR calls it
/// (stereo depth 100 %, no pre-delay, wet gain 0 dB, dry signal kept): Freeverb's eight damped comb filters in
/// parallel, then four allpass filters in series, for each of two channels whose delay lines differ by
/// Freeverb's stereo spread; the two channels are mixed back to mono. The output equals libsox's to float
/// rounding (libsox itself works on 32-bit integer samples, so it can clip where this does not).
///
/// It exists for speed: libsox costs an effects chain set-up and a process-wide lock per call, and runs its
/// sixteen comb filters one sample at a time each. Here the sixteen combs run together in SIMD lanes and the
/// allpass filters run eight samples at a time, which their delays (at least 8 samples) allow.
public struct FreeverbReverb: Sendable {
    // Jezar's Freeverb tuning at 44.1 kHz, which libsox scales to the sample rate: comb and allpass delays in
    // samples, and how many samples the second channel's delays are moved by (alternately longer and shorter).
    private static let combLengths: [Double] = [1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617]
    private static let allpassLengths: [Double] = [225, 341, 441, 556]
    private static let stereoSpread = 12.0
    private static let tuningRate = 44_100.0
    // Freeverb's fixed input gain into the filters (libsox: wet gain 0 dB times 0.015).
    private static let inputGain: Float = 0.015
    private static let allpassFeedback: Float = 0.5

    /// Comb feedback: 0.3 at reverberance 0 up to 0.98 at 100 %, exponentially in between (libsox's mapping).
    public let feedback: Float
    /// The combs' one-pole low-pass coefficient: 0.2 at HF damping 0 up to 0.5 at 100 %.
    public let damping: Float
    /// Comb delays in samples: channel 0's eight, then channel 1's eight.
    public let combDelays: [Int]
    /// Allpass delays in samples, per channel, in the order they are applied.
    public let allpassDelays: [[Int]]

    /// The reverb of libsox's `reverb reverberance damping roomScale` (each in percent, 0...100) at `sampleRate`.
    public init(reverberance: Int, damping: Int, roomScale: Int, sampleRate: Int) {
        let minimum = 0.3, maximum = 0.98
        let a = -1 / log(1 - minimum)
        let b = 100 / (log(1 - maximum) * a + 1)
        feedback = Float(1 - exp((Double(reverberance) - b) / (a * b)))
        self.damping = Float(Double(damping) / 100 * 0.3 + 0.2)
        let rate = Double(sampleRate) / Self.tuningRate
        let scale = Double(roomScale) / 100 * 0.9 + 0.1
        // Channel 1's delays alternate +spread, -spread, ... through the combs and on through the allpasses.
        func delay(_ length: Double, index: Int, channel: Int, scale: Double) -> Int {
            let sign = index.isMultiple(of: 2) ? 1.0 : -1.0
            return max(1, Int(scale * rate * (length + Self.stereoSpread * Double(channel) * sign) + 0.5))
        }
        combDelays = (0..<2).flatMap { channel in
            Self.combLengths.indices.map { delay(Self.combLengths[$0], index: $0, channel: channel, scale: scale) }
        }
        let combCount = Self.combLengths.count
        // libsox runs the allpasses from the longest to the shortest.
        allpassDelays = (0..<2).map { channel in
            Self.allpassLengths.indices.reversed().map {
                delay(Self.allpassLengths[$0], index: combCount + $0, channel: channel, scale: 1)
            }
        }
    }

    /// `samples` with the reverb added, the same length (the tail past the end is cut, as libsox's output is).
    public func reverberated(_ samples: [Float]) -> [Float] {
        guard !samples.isEmpty else { return samples }
        var channels = combSums(samples)
        var output = samples
        for channel in 0..<2 {
            for delay in allpassDelays[channel] { Self.applyAllpass(to: &channels[channel], delay: delay) }
        }
        let wet = Self.inputGain / 2
        for n in output.indices { output[n] += wet * (channels[0][n] + channels[1][n]) }
        return output
    }

    // MARK: - Comb filters

    // Samples processed between moves of the comb history back to the start of its buffer.
    private static let combChunk = 2048

    /// Each channel's sum of its eight combs' outputs. A comb reads what it wrote `delay` samples ago (o), keeps
    /// a low-passed copy (s = o + (s - o) · damping) and writes input + s · feedback. The sixteen combs are the
    /// lanes of one SIMD16 row per sample; a lane reads its own delay's row back.
    private func combSums(_ input: [Float]) -> [[Float]] {
        let lanes = 16
        precondition(combDelays.count == lanes)
        let history = combDelays.max()!
        let rows = history + Self.combChunk
        let rowBytes = MemoryLayout<SIMD16<Float>>.stride
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: history * rowBytes)
        // Byte offset of lane l's read, relative to the row being written.
        var readOffsets = SIMD16<Int>()
        for lane in 0..<lanes { readOffsets[lane] = lane * MemoryLayout<Float>.stride - combDelays[lane] * rowBytes }

        var left = [Float](repeating: 0, count: input.count), right = left
        var store = SIMD16<Float>()
        let damping = SIMD16<Float>(repeating: self.damping), feedback = SIMD16<Float>(repeating: self.feedback)
        input.withUnsafeBufferPointer { input in
            left.withUnsafeMutableBufferPointer { left in
                right.withUnsafeMutableBufferPointer { right in
                    var start = 0
                    while start < input.count {
                        let count = min(Self.combChunk, input.count - start)
                        for i in 0..<count {
                            let row = buffer + (history + i) * rowBytes
                            let delayed = Self.gather(row, readOffsets)
                            store = delayed + (store - delayed) * damping
                            row.storeBytes(of: SIMD16<Float>(repeating: input[start + i]) + store * feedback, as: SIMD16<Float>.self)
                            left[start + i] = delayed.lowHalf.sum()
                            right[start + i] = delayed.highHalf.sum()
                        }
                        // Keep the last `history` rows as the next chunk's past (the regions may overlap).
                        memmove(buffer, buffer + count * rowBytes, history * rowBytes)
                        start += count
                    }
                }
            }
        }
        return [left, right]
    }

    /// The sixteen floats at byte offsets `o` from `row`, one per lane; spelled out because a lane loop
    /// compiled to a slow generic SIMD insert per lane.
    @inline(__always)
    private static func gather(_ row: UnsafeMutableRawPointer, _ o: SIMD16<Int>) -> SIMD16<Float> {
        func at(_ offset: Int) -> Float { row.load(fromByteOffset: offset, as: Float.self) }
        return SIMD16<Float>(at(o[0]), at(o[1]), at(o[2]), at(o[3]), at(o[4]), at(o[5]), at(o[6]), at(o[7]),
                             at(o[8]), at(o[9]), at(o[10]), at(o[11]), at(o[12]), at(o[13]), at(o[14]), at(o[15]))
    }

    // MARK: - Allpass filters

    /// Freeverb's allpass in place: y[n] = b[n - d] - x[n], with b[n] = x[n] + 0.5 · b[n - d]. Eight samples
    /// at a time when `delay` >= 8, since no sample then depends on another within the same eight.
    private static func applyAllpass(to signal: inout [Float], delay: Int) {
        var line = [Float](repeating: 0, count: signal.count + delay)
        let count = signal.count
        signal.withUnsafeMutableBufferPointer { signal in
            line.withUnsafeMutableBufferPointer { line in
                let x = UnsafeMutableRawPointer(signal.baseAddress!), b = UnsafeMutableRawPointer(line.baseAddress!)
                let step = MemoryLayout<Float>.stride
                var n = 0
                if delay >= 8 {
                    let half = SIMD8<Float>(repeating: allpassFeedback)
                    while n + 8 <= count {
                        let input = x.loadUnaligned(fromByteOffset: n * step, as: SIMD8<Float>.self)
                        let past = b.loadUnaligned(fromByteOffset: n * step, as: SIMD8<Float>.self)
                        b.storeBytes(of: input + past * half, toByteOffset: (n + delay) * step, as: SIMD8<Float>.self)
                        x.storeBytes(of: past - input, toByteOffset: n * step, as: SIMD8<Float>.self)
                        n += 8
                    }
                }
                while n < count {
                    let input = signal[n], past = line[n]
                    line[n + delay] = input + past * allpassFeedback
                    signal[n] = past - input
                    n += 1
                }
            }
        }
    }
}
