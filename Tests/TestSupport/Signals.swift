import Foundation

/// Test signals and measurements, generated in the tests rather than stored as fixtures.
public enum Signals {
    /// `count` samples of a sine of `frequency` Hz.
    public static func sine(frequency: Double, count: Int, sampleRate: Int = 16_000, amplitude: Float = 0.5) -> [Float] {
        (0..<count).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate))) }
    }

    /// A `seconds`-long sine of `frequency` Hz.
    public static func tone(frequency: Double, seconds: Double, sampleRate: Int, amplitude: Float = 0.5) -> [Float] {
        sine(frequency: frequency, count: Int(seconds * Double(sampleRate)), sampleRate: sampleRate, amplitude: amplitude)
    }

    public static func sum(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 + $1 } }

    /// Amplitude of the `frequency` component (Goertzel), over `samples[range]` (all of them when nil).
    public static func amplitude(of frequency: Double, in samples: [Float], range: Range<Int>? = nil,
                                 sampleRate: Int = 16_000) -> Double {
        let range = range ?? samples.indices
        let coefficient = 2 * cos(2 * Double.pi * frequency / Double(sampleRate))
        var s1 = 0.0, s2 = 0.0
        for i in range {
            let s0 = Double(samples[i]) + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        return 2 * power.squareRoot() / Double(range.count)
    }

    /// Frequency estimated from upward zero crossings in `samples[range]` (all of them when nil).
    public static func zeroCrossingFrequency(_ samples: [Float], range: Range<Int>? = nil, sampleRate: Int = 16_000) -> Double {
        let range = range ?? samples.indices
        var crossings: [Int] = []
        for i in range.dropFirst() where samples[i - 1] < 0 && samples[i] >= 0 { crossings.append(i) }
        guard crossings.count > 1 else { return 0 }
        return Double(crossings.count - 1) * Double(sampleRate) / Double(crossings.last! - crossings.first!)
    }

    public static func rms(_ samples: [Float]) -> Double {
        (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
    }

    public static func standardDeviation(_ samples: [Float]) -> Double {
        let mean = samples.reduce(0.0) { $0 + Double($1) } / Double(samples.count)
        let squares = samples.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
        return (squares / Double(samples.count - 1)).squareRoot()
    }
}
