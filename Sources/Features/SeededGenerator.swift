/// A small, fast, seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random choice in training and augmentation draws from one of these, so a run with the
/// same seed makes the same choices on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator whose whole sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    /// A uniform Float in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) < p
    }

    /// A standard normal sample (Box-Muller).
    public mutating func gaussian() -> Float {
        let u1 = max(Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0), 1e-300)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// A generator for a sub-task (one item, one worker) that does not disturb this one's sequence.
    public func derived(_ index: UInt64) -> SeededGenerator {
        var copy = self
        return SeededGenerator(seed: copy.next() ^ (index &* 0x9E37_79B9_7F4A_7C15))
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

#if canImport(Glibc)
import Glibc
private func _log(_ x: Double) -> Double { Glibc.log(x) }
private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Foundation
private func _log(_ x: Double) -> Double { Foundation.log(x) }
private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
