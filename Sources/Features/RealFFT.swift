import CFFTW
import Foundation

/// A single-precision real-to-complex FFT of one size, planned once with FFTW and shared by every caller.
///
/// `@unchecked Sendable` because FFTW's planner is not thread-safe but executing a finished plan with the
/// new-array function `fftwf_execute_dft_r2c` is: plans are created only under `plannerLock`, never
/// mutated afterwards, and never destroyed (one per size, alive for the whole process).
final class RealFFT: @unchecked Sendable {
    /// Number of real input samples.
    let size: Int
    /// Number of complex output bins, `size / 2 + 1`.
    var binCount: Int { size / 2 + 1 }

    private let plan: fftwf_plan

    private static let plannerLock = NSLock()
    nonisolated(unsafe) private static var plans: [Int: RealFFT] = [:]

    /// The shared transform of `size` points, planned on first use.
    static func shared(size: Int) -> RealFFT {
        plannerLock.lock()
        defer { plannerLock.unlock() }
        if let existing = plans[size] { return existing }
        let made = RealFFT(size: size)
        plans[size] = made
        return made
    }

    private init(size: Int) {
        precondition(size > 0 && size % 2 == 0, "FFT size must be even and positive")
        self.size = size
        let input = fftwf_alloc_real(size)!
        let output = fftwf_alloc_complex(size / 2 + 1)!
        defer {
            fftwf_free(input)
            fftwf_free(output)
        }
        // FFTW_ESTIMATE rather than FFTW_MEASURE: measured plans are chosen by timing, so two runs can pick
        // different algorithms and round differently; an estimated plan makes features bit-identical across
        // runs, and for 2048 points it is within a few percent of a measured one.
        plan = fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))!
    }

    /// Transforms `input` (`size` floats) into `output` (`binCount` interleaved re/im pairs).
    ///
    /// Both buffers must come from `RealFFT.allocateAligned`, because new-array execution requires the same
    /// alignment the plan was made with.
    func transform(_ input: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        output.withMemoryRebound(to: fftwf_complex.self, capacity: binCount) { complex in
            fftwf_execute_dft_r2c(plan, input, complex)
        }
    }

    /// SIMD-aligned, uninitialised scratch memory for `transform`; free it with `freeAligned`.
    static func allocateAligned(floats count: Int) -> UnsafeMutablePointer<Float> {
        fftwf_alloc_real(count)!
    }

    /// Frees memory from `allocateAligned`.
    static func freeAligned(_ pointer: UnsafeMutablePointer<Float>) {
        fftwf_free(pointer)
    }
}
