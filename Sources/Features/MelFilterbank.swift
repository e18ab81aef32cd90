import Foundation

/// Triangular mel filters on the HTK scale, stored sparsely: each band keeps only the FFT bins it touches.
///
/// Built exactly as `torchaudio.functional.melscale_fbanks(..., norm=None, mel_scale="htk")`: band edges are
/// evenly spaced in mel between `minFrequency` and `maxFrequency`, filters are unnormalised triangles over
/// linearly spaced bin frequencies. Bands narrower than one bin can be all zero, as in torchaudio.
public struct MelFilterbank: Sendable {
    /// Number of mel bands.
    public let bandCount: Int
    /// Number of FFT bins the filters are defined over (`fftSize / 2 + 1`).
    public let binCount: Int

    /// First bin of band `m`.
    let firstBin: [Int]
    /// Offset of band `m`'s weights in `weights`; band `m` covers `weightStart[m + 1] - weightStart[m]` bins.
    let weightStart: [Int]
    let weights: [Float]

    /// The HTK mel value of a frequency in Hz: 2595 · log10(1 + f / 700).
    public static func mel(ofHertz hertz: Double) -> Double {
        2595 * log10(1 + hertz / 700)
    }

    /// The frequency in Hz of an HTK mel value.
    public static func hertz(ofMel mel: Double) -> Double {
        700 * (pow(10, mel / 2595) - 1)
    }

    /// Band edges in Hz: `bandCount + 2` points, evenly spaced in mel; band `m` rises from edge `m`, peaks at
    /// edge `m + 1` and falls to zero at edge `m + 2`.
    public static func bandEdges(bandCount: Int, minFrequency: Double, maxFrequency: Double) -> [Double] {
        let low = mel(ofHertz: minFrequency), high = mel(ofHertz: maxFrequency)
        return (0..<(bandCount + 2)).map { i in
            hertz(ofMel: low + (high - low) * Double(i) / Double(bandCount + 1))
        }
    }

    /// Builds `bandCount` filters for an FFT of `fftSize` points at `sampleRate`.
    ///
    /// `frequencyScale` r ≠ 1 builds the filters of a pitch-shifted spectrum: band m weighs source bin k by its
    /// triangle at r · f(k), so the bands see the spectrum with every frequency multiplied by r. Resampling-based
    /// pitch shifters (libsox `pitch` + `rate`) move a sinusoid's peak from f to r · f at the same height and
    /// spread a noise floor over r times the bandwidth at 1 / r the power per bin; summing source bins under the
    /// scaled triangle gives both, since a band of width w covers w / r source bins.
    public init(bandCount: Int, fftSize: Int, sampleRate: Int, minFrequency: Double = 0, maxFrequency: Double? = nil,
                frequencyScale: Double = 1) {
        precondition(frequencyScale > 0, "frequencyScale must be positive")
        let binCount = fftSize / 2 + 1
        let nyquist = Double(sampleRate) / 2
        let edges = Self.bandEdges(
            bandCount: bandCount, minFrequency: minFrequency, maxFrequency: maxFrequency ?? nyquist)
        // torchaudio spaces bin frequencies with linspace(0, sr/2, n_freqs), in float32.
        func binFrequency(_ k: Int) -> Double { Double(Float(nyquist * Double(k) / Double(binCount - 1))) * frequencyScale }
        let binSpacing = nyquist / Double(binCount - 1) * frequencyScale
        var firstBin: [Int] = [], weightStart: [Int] = [0], weights: [Float] = []
        for m in 0..<bandCount {
            let left = edges[m], centre = edges[m + 1], right = edges[m + 2]
            // Only bins near [left, right] can have weight; the float32 rounding of bin frequencies moves them by far
            // less than the one-bin margin.
            let low = max(0, Int((left / binSpacing).rounded(.down)) - 1)
            let high = min(binCount - 1, Int((right / binSpacing).rounded(.up)) + 1)
            var first = -1
            for k in stride(from: low, through: high, by: 1) {
                let f = binFrequency(k)
                let rising = (f - left) / (centre - left)
                let falling = (right - f) / (right - centre)
                let weight = max(0, min(rising, falling))
                if weight > 0 {
                    if first < 0 { first = k }
                    // Bins inside a band are contiguous, so zero weights between first and last cannot occur.
                    weights.append(Float(weight))
                }
            }
            firstBin.append(max(first, 0))
            weightStart.append(weights.count)
        }
        self.bandCount = bandCount
        self.binCount = binCount
        self.firstBin = firstBin
        self.weightStart = weightStart
        self.weights = weights
    }

    /// The dense filter matrix, `[bin][band]` row-major like torchaudio's, for tests and inspection.
    public func denseMatrix() -> [Float] {
        var dense = [Float](repeating: 0, count: binCount * bandCount)
        for m in 0..<bandCount {
            for (i, w) in weights[weightStart[m]..<weightStart[m + 1]].enumerated() {
                dense[(firstBin[m] + i) * bandCount + m] = w
            }
        }
        return dense
    }

    /// Frames `apply(powers:output:frames:stride:)` handles at once, one SIMD lane each.
    static let framesPerApply = 8

    /// Writes the energy of each band for eight frames at once: `powers` holds their spectra `[bin][8]`, and
    /// band `m` of frame `j < frames` goes to `output[m * stride + j]`.
    @inline(__always)
    func apply(powers: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, frames: Int, stride: Int) {
        let lanes = Self.framesPerApply
        precondition(frames <= lanes)
        let rows = UnsafeRawPointer(powers)
        let rowBytes = lanes * MemoryLayout<Float>.stride
        weights.withUnsafeBufferPointer { w in
            for m in 0..<bandCount {
                let start = weightStart[m], end = weightStart[m + 1]
                let firstRow = firstBin[m] - start
                var sum = SIMD8<Float>()
                for i in start..<end {
                    sum += w[i] * rows.loadUnaligned(fromByteOffset: (firstRow + i) * rowBytes, as: SIMD8<Float>.self)
                }
                let destination = output + m * stride
                if frames == lanes {
                    UnsafeMutableRawPointer(destination).storeBytes(of: sum, as: SIMD8<Float>.self)
                } else {
                    for j in 0..<frames { destination[j] = sum[j] }
                }
            }
        }
    }
}
