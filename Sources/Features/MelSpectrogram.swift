import Dispatch
import Foundation

/// Log-mel spectrograms of fixed-length excerpts: the model's input image.
///
/// Matches `torchaudio.transforms.MelSpectrogram` with its defaults except those named here: `fftSize`-point
/// STFT (periodic Hann window of the same length), hop `(excerptLength - 1) / 128 + 1`, centred frames with
/// reflect padding, power 2, `bandCount` HTK mel bands from 0 Hz to Nyquist without filter normalisation.
/// Then `log1p` and min-max scaling to [0, 1] over the whole spectrogram of each excerpt. Each excerpt is
/// normalised on its own, in training and in scoring alike (the reference normalised whole clips when
/// evaluating, which does not match what it trained on).
///
/// Output is `[Float]` row-major `[band][frame]`, band 0 (lowest frequency) first: a 1 × bands × frames image.
/// For the defaults (16 kHz, 43740 samples) that is 128 × 128. Immutable and safe to share across threads.
public final class MelSpectrogram: Sendable {
    /// Sample rate of the input in Hz.
    public let sampleRate: Int
    /// Number of samples in one excerpt; every excerpt passed in must have exactly this length.
    public let excerptLength: Int
    /// STFT size and window length.
    public let fftSize: Int
    /// Samples between successive frames: `(excerptLength - 1) / 128 + 1`, as the reference.
    public let hopLength: Int
    /// Frames per excerpt: `1 + excerptLength / hopLength` (centred frames).
    public let frameCount: Int
    /// The mel filters.
    public let filterbank: MelFilterbank
    /// Number of mel bands (rows of the output).
    public var bandCount: Int { filterbank.bandCount }
    /// Floats in one spectrogram: `bandCount * frameCount`.
    public var valuesPerExcerpt: Int { bandCount * frameCount }

    private let window: [Float]
    private let fft: RealFFT

    /// [bands, frames] of the image of one `excerptLength`-sample excerpt, without building filters or FFT plans.
    public static func imageSize(excerptLength: Int, bandCount: Int = 128) -> [Int] {
        [bandCount, 1 + excerptLength / hopLength(excerptLength: excerptLength)]
    }

    // The reference sizes the hop so that a default excerpt gives 128 frames, independent of bandCount.
    private static func hopLength(excerptLength: Int) -> Int { (excerptLength - 1) / 128 + 1 }

    /// Prepares the filters, window and FFT plan for excerpts of `excerptLength` samples at `sampleRate`.
    ///
    /// The excerpt must be longer than `fftSize / 2`, since reflect padding mirrors that many samples.
    public init(sampleRate: Int = 16_000, excerptLength: Int = 43_740, fftSize: Int = 2048, bandCount: Int = 128) {
        precondition(excerptLength > fftSize / 2, "reflect padding needs an excerpt longer than fftSize / 2")
        self.sampleRate = sampleRate
        self.excerptLength = excerptLength
        self.fftSize = fftSize
        self.hopLength = MelSpectrogram.hopLength(excerptLength: excerptLength)
        self.frameCount = 1 + excerptLength / hopLength
        self.filterbank = MelFilterbank(bandCount: bandCount, fftSize: fftSize, sampleRate: sampleRate)
        self.window = (0..<fftSize).map { n in
            Float(0.5 - 0.5 * cos(2 * Double.pi * Double(n) / Double(fftSize)))
        }
        self.fft = RealFFT.shared(size: fftSize)
    }

    // MARK: - Public transforms

    /// The normalised log-mel spectrogram of one excerpt of `excerptLength` samples, pitch-shifted by `pitchCents`
    /// when it is not 0: the spectrum's frequencies multiplied by 2^(cents/1200) on the way into the mel bands
    /// (`MelFilterbank(frequencyScale:)`), the duration untouched. As a training augmentation that costs one
    /// filterbank (microseconds), where a time-domain pitch shifter costs more than the whole log-mel.
    public func logMel(_ excerpt: [Float], pitchCents: Int = 0) -> [Float] {
        precondition(excerpt.count == excerptLength, "excerpt has \(excerpt.count) samples, expected \(excerptLength)")
        let shifted = pitchCents == 0 ? nil : MelFilterbank(bandCount: bandCount, fftSize: fftSize, sampleRate: sampleRate,
                                                            frequencyScale: pow(2, Double(pitchCents) / 1200))
        return computeBatch(count: 1, workers: 1, filterbank: shifted) { _, destination in
            _ = destination.update(fromContentsOf: excerpt)
        }
    }

    /// One normalised log-mel spectrogram per excerpt, spread over `workers` threads.
    public func logMels(_ excerpts: [[Float]], workers: Int = ProcessInfo.processInfo.activeProcessorCount) -> [[Float]] {
        splitBatch(logMelBatch(excerpts, workers: workers))
    }

    /// The spectrograms of `excerpts` in one contiguous buffer, `[excerpt][band][frame]`, ready to be a
    /// batch tensor of shape `excerpts.count × 1 × bandCount × frameCount`.
    public func logMelBatch(_ excerpts: [[Float]], workers: Int = ProcessInfo.processInfo.activeProcessorCount) -> [Float] {
        for excerpt in excerpts {
            precondition(excerpt.count == excerptLength, "excerpt has \(excerpt.count) samples, expected \(excerptLength)")
        }
        return computeBatch(count: excerpts.count, workers: workers) { index, destination in
            _ = destination.update(fromContentsOf: excerpts[index])
        }
    }

    /// Spectrograms of a whole track cut into consecutive non-overlapping excerpts, one per excerpt, as used
    /// for scoring. A remainder shorter than an excerpt is dropped; a track shorter than one excerpt yields a
    /// single excerpt padded with silence, so every track can be scored.
    public func logMels(track: [Float], workers: Int = ProcessInfo.processInfo.activeProcessorCount) -> [[Float]] {
        splitBatch(logMelBatch(track: track, workers: workers))
    }

    /// Like `logMels(track:workers:)` but in one contiguous `[excerpt][band][frame]` buffer.
    public func logMelBatch(track: [Float], workers: Int = ProcessInfo.processInfo.activeProcessorCount) -> [Float] {
        let count = Self.excerptCount(trackLength: track.count, excerptLength: excerptLength)
        let length = excerptLength
        return computeBatch(count: count, workers: workers) { index, destination in
            track.withUnsafeBufferPointer { source in
                let start = index * length
                let available = min(length, source.count - start)
                if available > 0 { destination.baseAddress!.update(from: source.baseAddress! + start, count: available) }
                (destination.baseAddress! + available).update(repeating: 0, count: length - available)
            }
        }
    }

    private func splitBatch(_ batch: [Float]) -> [[Float]] {
        stride(from: 0, to: batch.count, by: valuesPerExcerpt).map { Array(batch[$0..<($0 + valuesPerExcerpt)]) }
    }

    /// Number of excerpts `logMels(track:)` cuts from a track of `trackLength` samples.
    public static func excerptCount(trackLength: Int, excerptLength: Int) -> Int {
        max(1, trackLength / excerptLength)
    }

    // MARK: - Computation

    /// How mel band powers become the output values.
    enum Scaling: Sendable {
        /// `log1p`, then min-max scaled to [0, 1] per excerpt: the network's input image.
        case unitRange
        /// Decibels, unscaled: what loudness and timbre statistics are computed from.
        case decibels
    }

    /// The mel band powers of `excerpts` in decibels (10 log10(power + 1e-10)), `[excerpt][band][frame]`: unlike
    /// the network's images, loudness and level differences between excerpts are kept.
    public func decibelMelBatch(_ excerpts: [[Float]], workers: Int = 1) -> [Float] {
        for excerpt in excerpts {
            precondition(excerpt.count == excerptLength, "excerpt has \(excerpt.count) samples, expected \(excerptLength)")
        }
        return computeBatch(count: excerpts.count, workers: workers, scaling: .decibels) { index, destination in
            _ = destination.update(fromContentsOf: excerpts[index])
        }
    }

    /// Runs `count` excerpts through the pipeline; `fill(index, buffer)` writes excerpt `index` into the
    /// worker's `excerptLength`-sample input buffer. Each worker owns one set of scratch buffers, so the loop
    /// over frames allocates nothing.
    private func computeBatch(
        count: Int, workers: Int, filterbank: MelFilterbank? = nil, scaling: Scaling = .unitRange,
        fill: @Sendable (Int, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> [Float] {
        let filterbank = filterbank ?? self.filterbank
        let perExcerpt = valuesPerExcerpt
        guard count > 0 else { return [] }
        let workerCount = max(1, min(workers, count))
        return [Float](unsafeUninitializedCapacity: count * perExcerpt) { output, initialised in
            // Workers write disjoint excerpt slices of the output, so sharing the pointer is race-free.
            nonisolated(unsafe) let base = output.baseAddress!
            @Sendable func work(_ worker: Int) {
                let scratch = Scratch(excerptLength: excerptLength, fftSize: fftSize)
                for index in stride(from: worker, to: count, by: workerCount) {
                    fill(index, UnsafeMutableBufferPointer(start: scratch.padded + fftSize / 2, count: excerptLength))
                    spectrogram(scratch: scratch, filterbank: filterbank, scaling: scaling, into: base + index * perExcerpt)
                }
            }
            if workerCount == 1 {
                work(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: workerCount, execute: work)
            }
            initialised = count * perExcerpt
        }
    }

    /// Frames whose power spectra are collected before the filterbank runs over them together, one SIMD lane each.
    static let frameGroup = MelFilterbank.framesPerApply

    /// Computes the normalised log-mel spectrogram of the excerpt already in `scratch.padded`'s middle.
    private func spectrogram(scratch: Scratch, filterbank: MelFilterbank, scaling: Scaling, into output: UnsafeMutablePointer<Float>) {
        reflectPad(scratch.padded)
        let frame = scratch.frame, spectrum = scratch.spectrum, powers = scratch.powers
        let binCount = fftSize / 2 + 1, group = Self.frameGroup
        window.withUnsafeBufferPointer { window in
            for first in stride(from: 0, to: frameCount, by: group) {
                let frames = min(group, frameCount - first)
                // In a last, short group the lanes past its frames keep stale spectra; the filterbank drops their bands.
                for j in 0..<frames {
                    let start = scratch.padded + (first + j) * hopLength
                    for i in 0..<fftSize { frame[i] = start[i] * window[i] }
                    fft.transform(frame, into: spectrum)
                    Self.writePowers(of: spectrum, bins: binCount, into: powers + j, stride: group)
                }
                filterbank.apply(powers: powers, output: output + first, frames: frames, stride: frameCount)
            }
        }
        let values = UnsafeMutableBufferPointer(start: output, count: valuesPerExcerpt)
        switch scaling {
        case .unitRange: Self.logScaleToUnitRange(values)
        case .decibels: Self.powerToDecibels(values)
        }
    }

    /// re² + im² of each of `bins` interleaved complex bins, written `stride` floats apart. Four bins at a time: the
    /// same products and sums as one at a time, so the same values to the bit.
    @inline(__always)
    private static func writePowers(of spectrum: UnsafePointer<Float>, bins: Int, into powers: UnsafeMutablePointer<Float>,
                                    stride: Int) {
        let raw = UnsafeRawPointer(spectrum)
        var k = 0
        while k &+ 4 <= bins {
            let values = raw.loadUnaligned(fromByteOffset: k &* 8, as: SIMD8<Float>.self)
            let squares = values * values
            let sums = squares.evenHalf + squares.oddHalf
            let out = powers + k &* stride
            out[0] = sums[0]
            out[stride] = sums[1]
            out[2 &* stride] = sums[2]
            out[3 &* stride] = sums[3]
            k &+= 4
        }
        while k < bins {
            let re = spectrum[2 &* k], im = spectrum[2 &* k &+ 1]
            powers[k &* stride] = re * re + im * im
            k &+= 1
        }
    }

    /// 10 log10(power + 1e-10): the mel band powers on an absolute scale (a full-scale sine peaks near +50 dB here,
    /// silence sits at -100 dB).
    static func powerToDecibels(_ values: UnsafeMutableBufferPointer<Float>) {
        for i in values.indices { values[i] = 10 * log10(values[i] + 1e-10) }
    }

    /// Mirrors `fftSize / 2` samples at both ends of the excerpt around its first and last sample (numpy's
    /// and torch's "reflect", which does not repeat the edge sample).
    private func reflectPad(_ padded: UnsafeMutablePointer<Float>) {
        let pad = fftSize / 2
        let first = pad, last = pad + excerptLength - 1
        for i in 1...pad {
            padded[first - i] = padded[first + i]
            padded[last + i] = padded[last - i]
        }
    }

    /// Applies `log1p` and scales to [0, 1] by the minimum and maximum. A constant spectrogram (silence)
    /// has no range to scale by and becomes all zeros rather than NaN.
    static func logScaleToUnitRange(_ values: UnsafeMutableBufferPointer<Float>) {
        let raw = UnsafeMutableRawPointer(values.baseAddress!)
        let lanes = 8, stride = MemoryLayout<Float>.stride
        let vectorEnd = values.count - values.count % lanes
        var low8 = SIMD8<Float>(repeating: .infinity), high8 = SIMD8<Float>(repeating: -.infinity)
        for i in Swift.stride(from: 0, to: vectorEnd, by: lanes) {
            let v = FastLog.log1p(raw.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self))
            raw.storeBytes(of: v, toByteOffset: i * stride, as: SIMD8<Float>.self)
            low8 = pointwiseMin(low8, v)
            high8 = pointwiseMax(high8, v)
        }
        var low = low8.min(), high = high8.max()
        for i in vectorEnd..<values.count {
            let v = log1p(values[i])
            values[i] = v
            low = min(low, v)
            high = max(high, v)
        }
        let range = high - low
        guard range > 0, range.isFinite else {
            values.update(repeating: 0)
            return
        }
        let scale = 1 / range
        for i in values.indices { values[i] = (values[i] - low) * scale }
    }
}

/// One worker's buffers, aligned for FFTW and reused for every frame and excerpt it handles.
private final class Scratch {
    let padded: UnsafeMutablePointer<Float>
    let frame: UnsafeMutablePointer<Float>
    let spectrum: UnsafeMutablePointer<Float>
    /// The power spectra of `MelSpectrogram.frameGroup` frames, `[bin][frame]`.
    let powers: UnsafeMutablePointer<Float>

    init(excerptLength: Int, fftSize: Int) {
        padded = RealFFT.allocateAligned(floats: excerptLength + fftSize)
        frame = RealFFT.allocateAligned(floats: fftSize)
        spectrum = RealFFT.allocateAligned(floats: fftSize + 2)
        powers = RealFFT.allocateAligned(floats: (fftSize / 2 + 1) * MelSpectrogram.frameGroup)
    }

    deinit {
        for buffer in [padded, frame, spectrum, powers] { RealFFT.freeAligned(buffer) }
    }
}
