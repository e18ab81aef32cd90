import Foundation

/// CSI's distributional shifts for audio: shift `k` of `shiftCount` adds Gaussian noise of a level that
/// identifies `k`, and the model learns to tell the levels apart.
///
/// Shift 0 is the clean excerpt. The noise standard deviation is `u · std(excerpt)` with `u` drawn uniformly
/// from the shift's range: for 2 shifts, k = 1 uses [0.001, 0.1]; for 3 or 4 shifts, k = 1, 2, 3 use
/// [1e-4, 1e-3], [1e-3, 1e-2], [1e-2, 1e-1].
public struct AudioShift: Sendable {
    /// Number of shifts, D (`duplication_factor`), 1 to 4.
    public let shiftCount: Int

    /// Shifts for `shiftCount` in 1...4.
    public init(shiftCount: Int) {
        precondition((1...4).contains(shiftCount), "shiftCount must be 1...4, got \(shiftCount)")
        self.shiftCount = shiftCount
    }

    /// The range of the relative noise level `u` for shift `k`, or nil for the clean shift 0.
    public func noiseScaleRange(shift k: Int) -> ClosedRange<Float>? {
        precondition((0..<shiftCount).contains(k), "shift \(k) out of 0..<\(shiftCount)")
        if k == 0 { return nil }
        if shiftCount == 2 { return 0.001...0.1 }
        return [1e-4...1e-3, 1e-3...1e-2, 1e-2...1e-1][k - 1]
    }

    /// Applies shift `k` to `excerpt` in place, drawing the level and the noise from `generator`.
    /// Shift 0 leaves the excerpt untouched and draws nothing.
    public func apply(shift k: Int, to excerpt: inout [Float], using generator: inout SeededGenerator) {
        guard let range = noiseScaleRange(shift: k) else { return }
        addRelativeNoise(to: &excerpt, scaleRange: range, using: &generator)
    }

    /// `excerpt` with shift `k` applied.
    public func shifted(_ excerpt: [Float], shift k: Int, using generator: inout SeededGenerator) -> [Float] {
        var copy = excerpt
        apply(shift: k, to: &copy, using: &generator)
        return copy
    }
}

/// Adds Gaussian noise of std `u · std(samples)`, `u` drawn uniformly from `scaleRange` (CSI's noise shifts
/// and CLMR's `Noise`, whose "snr" is this `u`).
func addRelativeNoise(to samples: inout [Float], scaleRange: ClosedRange<Float>, using generator: inout SeededGenerator) {
    let scale = generator.uniform(scaleRange.lowerBound, scaleRange.upperBound)
    addGaussianNoise(to: &samples, standardDeviation: scale * standardDeviation(of: samples), using: &generator)
}

/// Sample standard deviation with Bessel's correction, as `torch.std`; 0 for fewer than two samples.
func standardDeviation(of samples: [Float]) -> Float {
    guard samples.count > 1 else { return 0 }
    var sum: Double = 0
    for s in samples { sum += Double(s) }
    let mean = sum / Double(samples.count)
    var squares: Double = 0
    for s in samples { squares += (Double(s) - mean) * (Double(s) - mean) }
    return Float((squares / Double(samples.count - 1)).squareRoot())
}

/// Adds zero-mean Gaussian noise of `standardDeviation` to every sample.
///
/// Marsaglia's polar method in Float, using both normals of each accepted pair and two 24-bit uniforms from
/// each 64-bit draw: about three times faster than calling `gaussian()` per sample, which matters because
/// every shifted copy of every training item needs one normal per sample.
func addGaussianNoise(to samples: inout [Float], standardDeviation: Float, using generator: inout SeededGenerator) {
    samples.withUnsafeMutableBufferPointer { s in
        var i = 0
        while i < s.count {
            let bits = generator.next()
            let u = Float(UInt32(truncatingIfNeeded: bits) >> 8) * (2.0 / 16_777_216) - 1
            let v = Float(UInt32(truncatingIfNeeded: bits >> 32) >> 8) * (2.0 / 16_777_216) - 1
            let r = u * u + v * v
            guard r < 1, r > 0 else { continue }
            let factor = (-2 * log(r) / r).squareRoot() * standardDeviation
            s[i] += u * factor
            if i + 1 < s.count { s[i + 1] += v * factor }
            i += 2
        }
    }
}
