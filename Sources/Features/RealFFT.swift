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
        plan = Self.plannedFromWisdom(size: size, input: input, output: output)
            ?? fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))!
    }

    // Plans come from fixed wisdom or from FFTW_ESTIMATE, never from timing (FFTW_MEASURE / FFTW_PATIENT): timed
    // planning can pick a different algorithm from run to run, which rounds differently, and fixed plans make
    // features bit-identical across runs. The estimated 2048-point plan spends half its time in an SSE2
    // post-processing pass; the patient plan below is 35 % faster here (3.6-3.8 against 5.7 us a transform).
    // Made by `scripts/fftw-wisdom.sh 2048` with Debian 12's FFTW 3.3.10; another FFTW build or a CPU without
    // AVX rejects it and the estimated plan is used.
    private static let wisdom = """
        (fftw-3.3.10 fftwf_wisdom #x9e7d4dee #xdb14fed1 #x34bf76a4 #xeb6e8fdf
          (fftwf_codelet_r2cfII_8 2 #x11048 #x11048 #x0 #x9b71d905 #x7d7faf81 #x09c45860 #x2a522386)
          (fftwf_codelet_hc2cfdftv_8_sse2 0 #x11048 #x11048 #x0 #xc447d79d #x3bb36c12 #x2e7c8386 #xc241521c)
          (fftwf_codelet_t2fv_4_avx 0 #x11048 #x11048 #x0 #xb0bde699 #x3baa1ac0 #xdbbed5b2 #x3b1456c3)
          (fftwf_codelet_r2cf_8 2 #x11048 #x11048 #x0 #xa8e723ad #x5577b756 #x19ace181 #xf0b6f4b2)
          (fftwf_dft_vrank_geq1_register 0 #x11048 #x11048 #x0 #x1d5f8951 #x83ff8a7f #x97795bcc #x27178c7e)
          (fftwf_codelet_n2fv_64_avx 0 #x11048 #x11048 #x0 #xdae94766 #xa548e347 #x8a9a261b #xff2066cd)
        )
        """

    private static let wisdomImported: Bool = fftwf_import_wisdom_from_string(wisdom) != 0

    /// The plan the embedded wisdom holds for this problem, or nil when it holds none. Called under `plannerLock`.
    private static func plannedFromWisdom(
        size: Int, input: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<fftwf_complex>
    ) -> fftwf_plan? {
        guard wisdomImported else { return nil }
        return fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_PATIENT) | UInt32(FFTW_WISDOM_ONLY))
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
