import Foundation

/// A fixed-length summary of how a track sounds, computed from the decibel mel spectrograms of its excerpts:
/// timbre (MFCC means, spreads and frame-to-frame change), spectral shape (band-group levels relative to the frame's
/// loudness, centroid, bandwidth, flatness, and per band group the peak-to-valley contrast and flatness), dynamics
/// (loudness spread and range) and rhythm (onset strength and the periodicity of its envelope between 44 and 350
/// beats per minute). Parts tried and left out (no gain on development splits): modulation spectra of four band
/// groups' envelopes.
///
/// No training: it means the same for every taste, so a handful of liked tracks can be compared with new music
/// by it (what a model trained from scratch on those few tracks cannot offer). Values are raw; `DescriptorSpace`
/// standardises them before any comparison.
public enum TrackDescriptor {
    /// MFCCs per frame (c0 included: the frame's overall level).
    public static let mfccCount = 20
    /// Mel bands are pooled into this many equal groups for the spectral shape.
    public static let bandGroups = 16
    /// Log-spaced bins of the onset envelope's autocorrelation.
    public static let tempoBins = 8
    /// Band levels are floored here (dB) so that digital silence does not dominate the statistics.
    static let floorDecibels: Float = -50
    /// Lags (in frames) of the periodicity bins: frames are ~21 ms apart for 2.73 s excerpts of 128 frames.
    static let lagRange = (low: 6, high: 64)

    /// The named parts of the descriptor, in order, with their lengths.
    public static let parts: [(name: String, count: Int)] = [
        ("mfcc_mean", mfccCount), ("mfcc_std", mfccCount), ("mfcc_delta_rms", mfccCount),
        ("band_shape_mean", bandGroups), ("band_shape_std", bandGroups),
        ("centroid_mean", 1), ("centroid_std", 1), ("bandwidth_mean", 1), ("bandwidth_std", 1),
        ("flatness_mean", 1), ("flatness_std", 1), ("onset_mean", 1), ("onset_std", 1),
        ("loudness_std", 1), ("loudness_range", 1), ("periodicity", tempoBins), ("pulse_clarity", 1),
        ("group_contrast", contrastGroups), ("group_flatness", contrastGroups),
    ]

    /// Mel band groups whose peak-to-valley contrast and flatness are measured per frame (harmonic peaks against
    /// noise-like spectra: a clean synth against a distorted guitar).
    public static let contrastGroups = 8


    /// Length of a descriptor.
    public static var dimension: Int { parts.reduce(0) { $0 + $1.count } }

    /// The descriptor of one track from the decibel mel spectrograms of its excerpts (`MelSpectrogram.decibelMelBatch`:
    /// `[excerpt][band][frame]`, `excerpts` of them, each `bands` x `frames`).
    public static func compute(decibelMels: [Float], excerpts: Int, bands: Int, frames: Int) -> [Float] {
        precondition(decibelMels.count == excerpts * bands * frames && excerpts > 0 && frames > 1 && bands >= bandGroups)
        var stats = FrameStatistics(bands: bands)
        var periodicity = [Double](repeating: 0, count: tempoBins + 1)
        var column = [Float](repeating: 0, count: bands), previous = column
        var onsets = [Double](repeating: 0, count: frames - 1)
        decibelMels.withUnsafeBufferPointer { mels in
            for e in 0..<excerpts {
                let image = mels.baseAddress! + e * bands * frames
                for t in 0..<frames {
                    for b in 0..<bands { column[b] = max(image[b * frames + t], floorDecibels) }
                    let onset = t == 0 ? nil : zip(column, previous).reduce(0.0) { $0 + Double(max(0, $1.0 - $1.1)) } / Double(bands)
                    stats.add(frame: column, onset: onset)
                    if let onset { onsets[t - 1] = onset }
                    swap(&column, &previous)
                }
                stats.endExcerpt()
                let excerptPeriodicity = Self.periodicity(of: onsets)
                for i in periodicity.indices { periodicity[i] += excerptPeriodicity[i] / Double(excerpts) }
            }
        }
        return (stats.summary() + periodicity + stats.groupSummary()).map(Float.init)
    }



    /// The onset envelope's normalised autocorrelation pooled into `tempoBins` log-spaced lag bins, then its largest
    /// value over the lag range (how clear the pulse is).
    static func periodicity(of envelope: [Double]) -> [Double] {
        let mean = envelope.reduce(0, +) / Double(envelope.count)
        let centred = envelope.map { $0 - mean }
        let energy = centred.reduce(0) { $0 + $1 * $1 }
        guard energy > 1e-12 else { return [Double](repeating: 0, count: tempoBins + 1) }
        let high = min(lagRange.high, envelope.count - 1)
        let correlation = (0...high).map { lag in
            lag < lagRange.low ? 0 : (0..<(envelope.count - lag)).reduce(0.0) { $0 + centred[$1] * centred[$1 + lag] } / energy
        }
        let ratio = pow(Double(high) / Double(lagRange.low), 1 / Double(tempoBins))
        var bins = [Double](repeating: 0, count: tempoBins)
        for b in 0..<tempoBins {
            let from = Int((Double(lagRange.low) * pow(ratio, Double(b))).rounded())
            let to = max(from, Int((Double(lagRange.low) * pow(ratio, Double(b + 1))).rounded()) - (b == tempoBins - 1 ? 0 : 1))
            let lags = from...min(to, high)
            bins[b] = lags.reduce(0.0) { $0 + correlation[$1] } / Double(lags.count)
        }
        return bins + [correlation[lagRange.low...high].max() ?? 0]
    }
}

/// Running sums over the frames of a track, from which `TrackDescriptor`'s statistics follow.
private struct FrameStatistics {
    let bands: Int
    let dct: [[Float]]
    var frames = 0.0, onsetFrames = 0.0, deltaFrames = 0.0
    var mfcc: Moments, delta: [Double], shape: Moments, spectral: Moments, onset: Moments
    var loudness: [Float] = []
    var contrast: Moments, flatness: Moments
    private var previousMFCC: [Double]?

    init(bands: Int) {
        self.bands = bands
        let count = TrackDescriptor.mfccCount
        // Orthonormal DCT-II rows: MFCC k of a frame's decibel bands.
        dct = (0..<count).map { k in
            let scale = Float(k == 0 ? (1 / Double(bands)).squareRoot() : (2 / Double(bands)).squareRoot())
            return (0..<bands).map { b in scale * Float(cos(Double.pi * Double(k) * (Double(b) + 0.5) / Double(bands))) }
        }
        mfcc = Moments(count: count)
        delta = [Double](repeating: 0, count: count)
        shape = Moments(count: TrackDescriptor.bandGroups)
        spectral = Moments(count: 3)
        onset = Moments(count: 1)
        contrast = Moments(count: TrackDescriptor.contrastGroups)
        flatness = Moments(count: TrackDescriptor.contrastGroups)
    }

    mutating func add(frame: [Float], onset frameOnset: Double?) {
        frames += 1
        let coefficients = dct.map { row in Double(zip(row, frame).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
        mfcc.add(coefficients)
        if let previousMFCC {
            for k in coefficients.indices { delta[k] += (coefficients[k] - previousMFCC[k]) * (coefficients[k] - previousMFCC[k]) }
            deltaFrames += 1
        }
        previousMFCC = coefficients
        let level = frame.reduce(0, +) / Float(bands)
        loudness.append(level)
        let groupSize = bands / TrackDescriptor.bandGroups
        shape.add((0..<TrackDescriptor.bandGroups).map { g in
            Double(frame[(g * groupSize)..<((g + 1) * groupSize)].reduce(0, +) / Float(groupSize) - level)
        })
        let powers = frame.map { pow(10, $0 / 10) }
        spectral.add(Self.spectralShape(frame, powers: powers))
        if let frameOnset { onset.add([frameOnset]) }
        let contrastSize = bands / TrackDescriptor.contrastGroups
        var groupContrast = [Double](repeating: 0, count: TrackDescriptor.contrastGroups), groupFlatness = groupContrast
        for g in 0..<TrackDescriptor.contrastGroups {
            let group = frame[(g * contrastSize)..<((g + 1) * contrastSize)]
            groupContrast[g] = Double(group.max()! - group.min()!)
            let meanDecibels = Double(group.reduce(0, +)) / Double(contrastSize)
            let meanPower = Double(powers[(g * contrastSize)..<((g + 1) * contrastSize)].reduce(0, +)) / Double(contrastSize)
            groupFlatness[g] = meanDecibels - 10 * log10(max(meanPower, 1e-30))
        }
        contrast.add(groupContrast)
        flatness.add(groupFlatness)
    }

    /// The band groups' mean contrast and mean flatness, in `TrackDescriptor.parts` order.
    func groupSummary() -> [Double] { contrast.means + flatness.means }

    /// A new excerpt starts: no frame difference across the cut.
    mutating func endExcerpt() { previousMFCC = nil }

    /// Centroid and bandwidth (in band units, 0...1) and flatness (dB: geometric over arithmetic mean power).
    static func spectralShape(_ frame: [Float], powers: [Float]) -> [Double] {
        let powers = powers.map(Double.init)
        let total = max(powers.reduce(0, +), 1e-30)
        let count = Double(frame.count)
        let centroid = powers.enumerated().reduce(0.0) { $0 + Double($1.offset) * $1.element } / total
        let spread = powers.enumerated().reduce(0.0) { $0 + (Double($1.offset) - centroid) * (Double($1.offset) - centroid) * $1.element } / total
        let flatness = Double(frame.reduce(0, +)) / count - 10 * log10(total / count)
        return [centroid / count, spread.squareRoot() / count, flatness]
    }

    /// Means, spreads and the rest, in `TrackDescriptor.parts` order (periodicity excluded).
    func summary() -> [Double] {
        let sorted = loudness.sorted()
        func quantile(_ q: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(q * Double(sorted.count - 1)))]) }
        let loudnessMoments = Moments(values: loudness.map(Double.init))
        return mfcc.means + mfcc.deviations + delta.map { ($0 / max(1, deltaFrames)).squareRoot() }
            + shape.means + shape.deviations
            + [spectral.means[0], spectral.deviations[0], spectral.means[1], spectral.deviations[1],
               spectral.means[2], spectral.deviations[2], onset.means[0], onset.deviations[0],
               loudnessMoments.deviations[0], quantile(0.9) - quantile(0.1)]
    }
}

/// Per-column running mean and standard deviation.
private struct Moments {
    var sums: [Double], squares: [Double], n = 0.0

    init(count: Int) {
        sums = [Double](repeating: 0, count: count)
        squares = sums
    }

    init(values: [Double]) {
        self.init(count: 1)
        for v in values { add([v]) }
    }

    mutating func add(_ values: [Double]) {
        n += 1
        for i in values.indices {
            sums[i] += values[i]
            squares[i] += values[i] * values[i]
        }
    }

    var means: [Double] { sums.map { $0 / max(1, n) } }
    var deviations: [Double] {
        zip(sums, squares).map { sum, square in
            let mean = sum / max(1, n)
            return max(0, square / max(1, n) - mean * mean).squareRoot()
        }
    }
}
