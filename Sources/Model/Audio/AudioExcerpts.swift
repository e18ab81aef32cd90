import Features
import Foundation
import LibraryScanner

/// Turns raw excerpts into network inputs: shift (noise level), augmentation, log-mel.
public struct AudioViewMaker: Sendable {
    public let mel: MelSpectrogram
    public let shifts: AudioShift
    public let augmentation: AudioAugmentation
    public let excerptLength: Int
    public let shiftKind: RunConfig.AudioShiftKind
    /// The shifted copies of a training view share one augmentation: flips of one image (`shared_shift_augment`).
    public let sharesShiftAugmentation: Bool

    /// - Throws: `ConfigError` on `input_img_size` when it is not the mel image of `sample_len`.
    public init(config: RunConfig) throws {
        mel = MelSpectrogram(sampleRate: config.sampleRate, excerptLength: config.sampleLength)
        if let problem = config.audioImageSizeProblem {
            throw ConfigError(.outOfRange, key: "input_img_size", source: "config", message: problem)
        }
        shifts = AudioShift(shiftCount: config.duplicationFactor)
        augmentation = AudioAugmentation(
            sampleRate: config.sampleRate, settings: AudioAugmentation.Settings().keeping(only: config.audioAugmentations),
            pitchShift: config.pitchShift, reverb: config.reverb)
        excerptLength = config.sampleLength
        shiftKind = config.audioShift
        // Noise shifts act on the audio before augmentation, so only flips can share one augmented image.
        sharesShiftAugmentation = config.sharesShiftAugmentation && config.audioShift != .noise
    }

    public var shape: ItemShape { ItemShape(channels: 1, height: mel.bandCount, width: mel.frameCount) }

    /// The log-mel image of `excerpt` with shift `shift`, augmented when `augmented`.
    public func write(_ excerpt: [Float], shift: Int, augmented: Bool, generator: inout SeededGenerator,
                      into slot: UnsafeMutableBufferPointer<Float>) {
        var samples = excerpt
        if shiftKind == .noise { shifts.apply(shift: shift, to: &samples, using: &generator) }
        let image = augmented ? augmentedImage(samples, generator: &generator) : mel.logMel(samples)
        writeFlipped(image, shift: shift, into: slot)
    }

    /// The training views of one excerpt for shifts 0..<slots.count: each shifted copy augmented on its own, or,
    /// with `sharesShiftAugmentation`, every copy a flip of one augmented image.
    public func writeShiftedViews(_ excerpt: [Float], generator: inout SeededGenerator, into slots: ArraySlice<UnsafeMutableBufferPointer<Float>>) {
        guard sharesShiftAugmentation else {
            for (shift, slot) in slots.enumerated() { write(excerpt, shift: shift, augmented: true, generator: &generator, into: slot) }
            return
        }
        let image = augmentedImage(excerpt, generator: &generator)
        for (shift, slot) in slots.enumerated() { writeFlipped(image, shift: shift, into: slot) }
    }

    /// The clean views of `excerpt` for shifts 0..<slots.count when the shifts are flips: one log-mel image, flipped.
    public func writeCleanFlippedViews(_ excerpt: [Float], into slots: [UnsafeMutableBufferPointer<Float>]) {
        precondition(shiftKind != .noise, "noise shifts change the audio, not the image")
        let image = mel.logMel(excerpt)
        for (shift, slot) in slots.enumerated() { writeFlipped(image, shift: shift, into: slot) }
    }

    /// The log-mel image of `samples` after the augmentation steps, on the audio and on the spectrum.
    private func augmentedImage(_ samples: [Float], generator: inout SeededGenerator) -> [Float] {
        var samples = samples
        // A libsox failure on one excerpt should not end a training run: that view keeps the steps done so far.
        var spectral = SpectralAugmentation()
        do { spectral = try augmentation.apply(to: &samples, using: &generator) } catch {}
        return mel.logMel(samples, pitchCents: spectral.pitchCents)
    }

    /// `image` flipped as flip shift `shift` asks (not at all for noise shifts, which act on the audio).
    private func writeFlipped(_ image: [Float], shift: Int, into slot: UnsafeMutableBufferPointer<Float>) {
        let rows = mel.bandCount, columns = mel.frameCount
        let (frequencyBit, timeBit) = shiftKind == .flipTime ? (2, 1) : (1, 2)
        let flipsFrequency = shiftKind != .noise && shift & frequencyBit != 0, flipsTime = shiftKind != .noise && shift & timeBit != 0
        for row in 0..<rows {
            let sourceRow = flipsFrequency ? rows - 1 - row : row
            for column in 0..<columns {
                slot[row * columns + column] = image[sourceRow * columns + (flipsTime ? columns - 1 - column : column)]
            }
        }
    }
}

/// Music as a CSI training source. An item is an excerpt of a track: at a fixed start (evaluation,
/// validation, the scoring reference) or, with `start == nil`, at a random start drawn anew each time
/// (training: every epoch sees other parts of every track).
public struct AudioExcerpts: TrainingSource {
    /// One item: which track, and where its excerpt starts (samples), or nil for a random start.
    public struct Item: Sendable, Hashable {
        public var track: Int
        public var start: Int?
    }

    public let tracks: [AudioTrack]
    public let pcm: [PCMTrack]
    public let items: [Item]
    public let views: AudioViewMaker
    /// CLMR's way: the two views are different crops of the track.
    public let usesTwoCrops: Bool

    public init(tracks: [AudioTrack], pcm: [PCMTrack], items: [Item], views: AudioViewMaker, usesTwoCrops: Bool) {
        precondition(tracks.count == pcm.count)
        self.tracks = tracks
        self.pcm = pcm
        self.items = items
        self.views = views
        self.usesTwoCrops = usesTwoCrops
    }

    public var count: Int { items.count }
    public var shape: ItemShape { views.shape }

    public func writeTrainingViews(of item: Int, shifts: Int, generator: inout SeededGenerator,
                                   into slots: [UnsafeMutableBufferPointer<Float>]) {
        var excerpt = self.excerpt(items[item], generator: &generator)
        for view in 0..<2 {
            if view == 1 && usesTwoCrops { excerpt = self.excerpt(items[item], generator: &generator) }
            views.writeShiftedViews(excerpt, generator: &generator, into: slots[(view * shifts)..<((view + 1) * shifts)])
        }
    }

    public func writeCleanInput(of item: Int, into slot: UnsafeMutableBufferPointer<Float>) {
        var generator = SeededGenerator(seed: UInt64(item))
        views.write(excerpt(items[item], generator: &generator), shift: 0, augmented: false, generator: &generator, into: slot)
    }

    public func writeEvaluationSample(of item: Int, shift: Int, shifts: Int, augmented: Bool, generator: inout SeededGenerator,
                                      into slot: UnsafeMutableBufferPointer<Float>) {
        views.write(excerpt(items[item], generator: &generator), shift: shift, augmented: augmented, generator: &generator, into: slot)
    }

    public func writeCleanShiftedInputs(of item: Int, generators: [SeededGenerator], into slots: [UnsafeMutableBufferPointer<Float>]) {
        guard views.shiftKind != .noise else {
            for (shift, slot) in slots.enumerated() {
                var generator = generators[shift]
                writeEvaluationSample(of: item, shift: shift, shifts: slots.count, augmented: false, generator: &generator, into: slot)
            }
            return
        }
        var generator = generators[0]
        views.writeCleanFlippedViews(excerpt(items[item], generator: &generator), into: slots)
    }

    /// Shift 0 neither flips nor adds noise, so its clean input is `writeCleanInput`'s (for fixed-start items).
    public var cleanInputIsShiftZero: Bool { items.allSatisfy { $0.start != nil } }

    private func excerpt(_ item: Item, generator: inout SeededGenerator) -> [Float] {
        let track = pcm[item.track]
        let start = item.start ?? Int(generator.next() % UInt64(max(1, track.count - views.excerptLength + 1)))
        return track.excerpt(from: start, length: views.excerptLength)
    }

    /// Items for training: `perTrack` random-start excerpts of every track.
    public static func randomItems(trackCount: Int, perTrack: Int) -> [Item] {
        (0..<trackCount).flatMap { t in Array(repeating: Item(track: t, start: nil), count: perTrack) }
    }

    /// Items for scoring: non-overlapping excerpts of every track, at most `limit` per track (0 = all),
    /// evenly spread over the track; a track shorter than one excerpt gives one (padded) excerpt.
    public static func fixedItems(pcm: [PCMTrack], excerptLength: Int, limit: Int) -> [Item] {
        pcm.enumerated().flatMap { t, track -> [Item] in
            fixedStarts(sampleCount: track.count, excerptLength: excerptLength, limit: limit).map { Item(track: t, start: $0) }
        }
    }

    /// Where `fixedItems` cuts a track of `sampleCount` samples: what scoring decodes and nothing more.
    public static func fixedStarts(sampleCount: Int, excerptLength: Int, limit: Int) -> [Int] {
        let available = max(1, sampleCount / excerptLength)
        let used = limit > 0 ? min(limit, available) : available
        return (0..<used).map { k in (k * available / used) * excerptLength }
    }
}

extension AudioExcerpts {
    /// An epoch's training items (random starts, drawn anew each time): `perEpoch` of them taking the
    /// tracks in turn, or `perTrack` for every track when `perEpoch` is 0.
    public static func trainingItems(tracks: [Int], perTrack: Int, perEpoch: Int) -> [Item] {
        guard perEpoch > 0, !tracks.isEmpty else {
            return tracks.flatMap { Array(repeating: Item(track: $0, start: nil), count: perTrack) }
        }
        return (0..<perEpoch).map { Item(track: tracks[$0 % tracks.count], start: nil) }
    }
}
