import CSoxr
import Foundation

/// Pitch shift that keeps the duration, computed here instead of in libsox: libsox's `pitch` + `rate` chain as
/// CLMR runs it, i.e. libsox's WSOLA time stretch (the `tempo` algorithm, with its default segment, search and
/// overlap lengths, its least-squares search over every candidate position and its linear crossfades), then
/// libsoxr, which is libsox's `rate` resampler as a library, back to the input's length. The stretch picks the same
/// joins as libsox (a test compares the two); it runs without libsox's effect-chain set-up and without the
/// process-wide lock libsox needs, and its search is vectorised where libsox sums one product at a time.
public enum WSOLAPitchShift {
    /// Time-stretch lengths in samples, rounded as libsox rounds them.
    public struct Lengths: Sendable, Equatable {
        /// Input consumed and output made per step, the crossfade included.
        public var segment: Int
        /// Candidate start positions tried for each segment.
        public var search: Int
        /// The crossfade between consecutive segments (a multiple of 8).
        public var overlap: Int

        /// libsox's defaults at `sampleRate`: an 82 ms segment, and search and overlap derived from it as libsox's
        /// default profile does (82 / 5.587 ms and 82 / 6.833 ms, so 14.68 and 12 ms).
        public init(sampleRate: Int) {
            let rate = Double(sampleRate), segmentMs = 82.0
            segment = Int(rate * segmentMs / 1000 + 0.5)
            search = Int(rate * (segmentMs / 5.587) / 1000 + 0.5)
            var overlap = max(Int(rate * min(segmentMs / 6.833, segmentMs / 2) / 1000 + 4.5), 16) & ~7
            if overlap * 2 > segment { overlap -= 8 }
            self.overlap = overlap
        }
    }

    /// `samples` shifted by `cents`, exactly as long as the input.
    public static func shifted(_ samples: [Float], cents: Int, sampleRate: Int) -> [Float] {
        guard cents != 0, !samples.isEmpty else { return samples }
        let factor = tempoFactor(cents: cents)
        let stretched = timeStretched(samples, tempo: factor, lengths: Lengths(sampleRate: sampleRate))
        // libsoxr fails only on bad arguments or memory exhaustion; the excerpt then keeps its pitch.
        return resampled(stretched, inputRate: 1 / factor, count: samples.count) ?? samples
    }

    /// The tempo factor libsox's `pitch` gives its stretch for `cents`: 2^(-cents/1200), passed on as printf `%g`
    /// text, so rounded to six significant digits; the resampler then uses the same rounded value.
    static func tempoFactor(cents: Int) -> Double {
        Double(String(format: "%g", 1 / pow(2, Double(cents) / 1200)))!
    }

    /// `samples` played at `tempo` times the speed at the same pitch (tempo < 1 lengthens), round(count / tempo)
    /// samples long: segment after segment, each taken from the input at its tempo-scaled position moved to the
    /// start, within the search range, whose first `overlap` samples are nearest (least squares) to the previous
    /// segment's last ones, and faded in over them. As in libsox, the input is read after search / 2 samples of
    /// silence, and after its end silence follows.
    public static func timeStretched(_ samples: [Float], tempo: Double, lengths: Lengths) -> [Float] {
        let (segment, search, overlap) = (lengths.segment, lengths.search, lengths.overlap)
        let outputCount = Int(Double(samples.count) / tempo + 0.5)
        let segmentsNeeded = (outputCount + segment - overlap - 1) / (segment - overlap) + 1
        let lastSkip = Int(tempo * Double(segmentsNeeded * (segment - overlap)) + 0.5)
        let lead = search / 2
        var input = [Float](repeating: 0, count: lead + max(samples.count, lastSkip) + segment + search + 8)
        input.replaceSubrange(lead..<(lead + samples.count), with: samples)
        var output = [Float](repeating: 0, count: segmentsNeeded * (segment - overlap) + overlap)
        input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                let x = input.baseAddress!, out = output.baseAddress!
                var written = 0, position = 0, segments = 0
                var tail = x + lead    // the previous segment's last `overlap` samples; unused by the first segment
                while written < outputCount {
                    let window = x + position
                    if segments == 0 {
                        out.update(from: window + lead, count: overlap)
                        tail = window + lead
                    } else {
                        let offset = bestOverlapPosition(of: tail, in: window, search: search, overlap: overlap)
                        crossfade(from: tail, to: window + offset, count: overlap, into: out + written)
                        tail = window + offset
                    }
                    // The rest of the segment up to its own tail, which the next segment fades out.
                    (out + written + overlap).update(from: tail + overlap, count: segment - 2 * overlap)
                    written += segment - overlap
                    tail += segment - overlap
                    segments += 1
                    position = Int(tempo * Double(segments * (segment - overlap)) + 0.5)
                }
            }
        }
        return Array(output.prefix(outputCount))
    }

    /// The start in 0..<search whose `overlap` samples differ least (sum of squares) from `reference`; the
    /// first of equals, as libsox.
    private static func bestOverlapPosition(of reference: UnsafePointer<Float>, in window: UnsafePointer<Float>,
                                            search: Int, overlap: Int) -> Int {
        var best = 0, least = Float.infinity
        for start in 0..<search {
            let difference = squaredDistance(window + start, reference, count: overlap)
            if difference < least {
                least = difference
                best = start
            }
        }
        return best
    }

    /// Σ (a[i] − b[i])², eight lanes at a time; `count` is a multiple of 8.
    private static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>()
        let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
        for byteOffset in stride(from: 0, to: count * MemoryLayout<Float>.stride, by: 8 * MemoryLayout<Float>.stride) {
            let d = rawA.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
                - rawB.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
            lanes += d * d
        }
        return lanes.sum()
    }

    /// out[i] = from[i]·(1 − i/count) + to[i]·i/count, libsox's linear crossfade (its fade-in starts at 0).
    private static func crossfade(from: UnsafePointer<Float>, to: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        let step = 1 / Float(count)
        for i in 0..<count {
            let fadeIn = step * Float(i)
            out[i] = from[i] * (1 - fadeIn) + to[i] * fadeIn
        }
    }

    /// `stretched` resampled from `inputRate` to 1 (libsoxr, high quality), trimmed or padded with silence to `count`.
    private static func resampled(_ stretched: [Float], inputRate: Double, count: Int) -> [Float]? {
        var output = [Float](repeating: 0, count: count + 64)
        var produced = 0
        var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var qualitySpec = soxr_quality_spec(UInt(SOXR_HQ), 0)
        let error = stretched.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                soxr_oneshot(inputRate, 1, 1, input.baseAddress, input.count, nil, out.baseAddress, out.count, &produced,
                             &ioSpec, &qualitySpec, nil)
            }
        }
        return error == nil ? Array(output.prefix(count)) : nil
    }
}
