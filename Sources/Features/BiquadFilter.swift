import Foundation

/// A second-order IIR filter with the coefficients of the Audio EQ Cookbook, as torchaudio's
/// `highpass_biquad` / `lowpass_biquad`; with Q = 1/√2 it is a 2nd-order Butterworth filter.
public struct BiquadFilter: Sendable, Equatable {
    /// Feed-forward coefficients, normalised by a0.
    public let b0: Double, b1: Double, b2: Double
    /// Feedback coefficients, normalised by a0.
    public let a1: Double, a2: Double

    /// The Butterworth quality factor, 1/√2, torchaudio's default.
    public static let butterworthQ = 0.5.squareRoot()

    /// A high-pass filter: attenuates below `cutoff` Hz.
    public static func highPass(cutoff: Double, sampleRate: Int, q: Double = butterworthQ) -> BiquadFilter {
        let (cosine, alpha) = angularTerms(cutoff: cutoff, sampleRate: sampleRate, q: q)
        return BiquadFilter(
            b: ((1 + cosine) / 2, -1 - cosine, (1 + cosine) / 2), a: (1 + alpha, -2 * cosine, 1 - alpha))
    }

    /// A low-pass filter: attenuates above `cutoff` Hz.
    public static func lowPass(cutoff: Double, sampleRate: Int, q: Double = butterworthQ) -> BiquadFilter {
        let (cosine, alpha) = angularTerms(cutoff: cutoff, sampleRate: sampleRate, q: q)
        return BiquadFilter(
            b: ((1 - cosine) / 2, 1 - cosine, (1 - cosine) / 2), a: (1 + alpha, -2 * cosine, 1 - alpha))
    }

    private static func angularTerms(cutoff: Double, sampleRate: Int, q: Double) -> (cosine: Double, alpha: Double) {
        let w0 = 2 * Double.pi * cutoff / Double(sampleRate)
        return (cos(w0), sin(w0) / 2 / q)
    }

    private init(b: (Double, Double, Double), a: (Double, Double, Double)) {
        b0 = b.0 / a.0
        b1 = b.1 / a.0
        b2 = b.2 / a.0
        a1 = a.1 / a.0
        a2 = a.2 / a.0
    }

    /// Filters `samples` in place from a silent initial state (transposed direct form II, in Double so the
    /// feedback stays accurate at low cutoffs). The length is unchanged.
    public func apply(to samples: inout [Float]) {
        var z1 = 0.0, z2 = 0.0
        for i in samples.indices {
            let x = Double(samples[i])
            let y = b0 * x + z1
            z1 = b1 * x - a1 * y + z2
            z2 = b2 * x - a2 * y
            samples[i] = Float(y)
        }
    }
}
