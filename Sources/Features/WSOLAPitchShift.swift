import CSoxr
import Foundation

/// Pitch shift that keeps the duration, computed here instead of in libsox: a WSOLA time stretch by the
/// pitch ratio r = 2^(cents/1200), then libsoxr (high quality) resampling of the stretched audio back to the
/// input's length. This is the structure of libsox's `pitch` + `rate` chain that CLMR uses, with libsox's
/// default segment (82 ms), search (14.68 ms) and overlap (12 ms) lengths, so it makes the same kind of
/// artefacts (repeated or skipped segments, crossfades at the joins); it runs without libsox's
/// effect-chain set-up and the process-wide lock libsox needs, and its correlation search is vectorised.
public enum WSOLAPitchShift {
    /// Time-stretch lengths in seconds.
    public struct Lengths: Sendable {
        /// Each output segment's length, its crossfade included.
        public var segment = 0.082
        /// How far around the nominal input position the best-matching segment is sought.
        public var search = 0.01468
        /// The crossfade between consecutive segments.
        public var overlap = 0.012
        public init() {}
    }

    /// `samples` shifted by `cents`, exactly as long as the input.
    public static func shifted(_ samples: [Float], cents: Int, sampleRate: Int, lengths: Lengths = Lengths()) -> [Float] {
        guard cents != 0, !samples.isEmpty else { return samples }
        let ratio = pow(2, Double(cents) / 1200)
        let stretched = timeStretched(samples, factor: ratio, sampleRate: sampleRate, lengths: lengths)
        // libsoxr fails only on bad arguments or memory exhaustion; the excerpt then keeps its pitch.
        return resampled(stretched, factor: ratio, count: samples.count) ?? samples
    }

    /// `samples` made `factor` times longer (rounded up) at the same pitch: segments of the input, each taken
    /// near where the stretch puts it but moved within the search range to where it best continues the
    /// segment before it (normalised cross-correlation over the overlap), joined by linear crossfades.
    public static func timeStretched(_ samples: [Float], factor: Double, sampleRate: Int, lengths: Lengths = Lengths()) -> [Float] {
        let rate = Double(sampleRate)
        let overlap = max(1, Int((lengths.overlap * rate).rounded()))
        let segment = max(overlap + 1, Int((lengths.segment * rate).rounded()))
        let search = max(1, Int((lengths.search * rate).rounded()))
        let hop = segment - overlap
        let outputCount = Int((Double(samples.count) * factor).rounded(.up))
        // Silence past the end, so the last segments and their search can read a full window.
        let input = samples + [Float](repeating: 0, count: segment + search + hop)
        let lastStart = input.count - segment
        var output = [Float]()
        output.reserveCapacity(outputCount + segment)
        input.withUnsafeBufferPointer { input in
            let x = input.baseAddress!
            output.append(contentsOf: input[0..<hop])
            var tail = hop
            var index = 1
            while output.count < outputCount {
                let nominal = Int((Double(index * hop) / factor).rounded())
                let low = min(max(0, nominal - search / 2), lastStart)
                let high = min(low + search, lastStart)
                let start = bestMatch(for: x + tail, length: overlap, in: x, from: low, to: high)
                for i in 0..<overlap {
                    let weight = (Float(i) + 0.5) / Float(overlap)
                    output.append(x[tail + i] * (1 - weight) + x[start + i] * weight)
                }
                output.append(contentsOf: input[(start + overlap)..<(start + hop)])
                tail = start + hop
                index += 1
            }
        }
        return Array(output.prefix(outputCount))
    }

    /// The start in low...high whose `length` samples correlate best with `reference`, normalised by their energy.
    private static func bestMatch(for reference: UnsafePointer<Float>, length: Int, in x: UnsafePointer<Float>,
                                  from low: Int, to high: Int) -> Int {
        var energy = 0.0
        for i in low..<(low + length) { energy += Double(x[i] * x[i]) }
        var best = low, bestScore = -Double.infinity
        for start in low...high {
            if start > low {
                let leaving = Double(x[start - 1]), entering = Double(x[start + length - 1])
                energy = max(0, energy - leaving * leaving + entering * entering)
            }
            let score = Double(dot(reference, x + start, count: length)) / (energy + 1e-9).squareRoot()
            if score > bestScore {
                bestScore = score
                best = start
            }
        }
        return best
    }

    /// Σ a[i]·b[i], eight lanes at a time.
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        var i = 0
        let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
        while i + 8 <= count {
            let byteOffset = i * MemoryLayout<Float>.stride
            lanes += rawA.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
            i += 8
        }
        var sum = lanes.sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// `stretched` played `factor` times faster (libsoxr, high quality), trimmed or padded with silence to `count`.
    private static func resampled(_ stretched: [Float], factor: Double, count: Int) -> [Float]? {
        var output = [Float](repeating: 0, count: count + 64)
        var produced = 0
        var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var qualitySpec = soxr_quality_spec(UInt(SOXR_HQ), 0)
        let error = stretched.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                soxr_oneshot(factor, 1, 1, input.baseAddress, input.count, nil, out.baseAddress, out.count, &produced,
                             &ioSpec, &qualitySpec, nil)
            }
        }
        return error == nil ? Array(output.prefix(count)) : nil
    }
}
