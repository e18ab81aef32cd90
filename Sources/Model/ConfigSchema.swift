import Features
import Foundation

extension RunConfig {
    /// Every key, in the order the effective config and the table list them. The seed's training
    /// and evaluation keys come first, ours after `evaluation_mode`.
    public static let schema: [ConfigKey] = [
        .choice("dataset_name", \.datasetName,
                "Data set: cifar10 (one-class benchmark), mtt (MagnaTagATune 5-genre subset), custom (own music), genres (a folder with one sub-folder per style)."),
        .choice("model_name", \.modelName, "Network family; model_scale picks the size."),
        .integer("model_scale", \.modelScale, 0...8, shownRange: "resnet 0…5, efficientnet 0…8, small_resnet 0…2",
                 "Size: resnet 0–4 = ResNet-18/34/50/101/152, 5 = ResNet-18 for small inputs; efficientnet 0–7 = B0–B7, 8 = B0 for small inputs; small_resnet 0–2."),
        imageSizeKey,
        .integer("epochs", \.epochs, 1...1_000_000, "Training epochs (all of them are run)."),
        .integer("batchsize", \.batchSize, 1...65_536, "Items per batch; a batch holds 2·duplication_factor views of each."),
        .number("val_size", \.validationFraction, Interval(lower: 0, upper: 1, isUpperOpen: true),
                "Fraction of the in-class training items held out for validation."),
        .optionalPath("path_checkpoint", \.checkpointPath,
                      "Training: folder for the best/last checkpoints (null = log_dir). Evaluation: the checkpoint file."),
        .number("lr", \.learningRate, Interval(lower: 0, upper: 10, isLowerOpen: true), "Peak learning rate."),
        .choice("transforms", \.transforms, "Augmentation pipeline: image (cifar10) or audio (music data sets)."),
        .integer("save_checkpoint_epochs", \.saveCheckpointEpochs, 1...Int.max, "Write last.pt every this many epochs (and after the final one); best.pt is written whenever the validation loss improves."),
        .integer("eval_test_step", \.evalTestStep, 1...Int.max,
                 "Evaluate on the test set every this many epochs; larger than epochs = only at the end."),
        .choice("optimizer", \.optimizer, "Optimiser: adamw, sgd (momentum), lars (CSI's)."),
        .optionalChoice("lr_scheduler", \.lrScheduler,
                        "cosine = warm-up from lr/25 over warmup_epochs, then cosine decay, stepped per batch; null = constant lr."),
        .number("weight_decay", \.weightDecay, Interval(lower: 0, upper: 1), "Weight decay (not applied to BatchNorm and biases)."),
        .optionalPath("log_dir", \.logDirectory,
                      "Folder for train.log, TensorBoard events, the effective config; null = logs/DATASET_MODEL_scaleK_lrLR in the current folder."),
        .flag("deterministic_run", \.isDeterministic, "Same seed, same run: fixed random streams and deterministic kernels."),
        .integer("seed", \.seed, 0...Int.max, "Seed of every random stream of the run."),
        .integer("target_class", \.targetClass, 0...Int.max, shownRange: "cifar10 0…9, mtt 0…4, genres 0…2, custom 0…",
                 "The in-distribution class: cifar10 0–9 (0 = airplane), mtt 0–4, genres 0–2."),
        .integer("duplication_factor", \.duplicationFactor, 1...4,
                 "D, the number of shifts (rotations by k·90° or noise levels); 1 = no shift."),
        .optionalPath("model_weights", \.modelWeights,
                      refused: ["imagenet": "ImageNet weights cannot be had offline; give a checkpoint path or null"],
                      "Checkpoint to start from, or null to train from scratch."),
        .choice("device", \.device,
                refused: ["cuda": "this build is CPU-only; set device to \"cpu\"",
                          "mps": "this build is CPU-only; set device to \"cpu\""],
                "Where the network runs; this build is CPU-only."),
        .integer("warmup_epochs", \.warmupEpochs, 0...1_000_000, "Epochs of learning-rate warm-up; a run shorter than this warms up for all of it."),
        .integer("num_workers", \.workerCount, 0...256, "Threads preparing batches; 0 = one per core."),
        .flag("prefetch_batches", \.prefetchBatches,
              "Training: prepare the next batch while the network trains on the current one (true), or prepare each batch on num_workers threads just before its step (false), so data threads never preempt torch's threads mid-step."),
        .choice("prefetch_priority", \.prefetchPriority,
                "Training with prefetch_batches: the scheduling class of the threads that prepare the next batch. idle (Linux SCHED_IDLE) runs them only on a core torch leaves free, so they seldom slow a step: normal-priority helpers finish a late batch while torch waits, and build every batch while other programs leave no core free; normal competes with torch's threads from the start."),
        .path("path_data", \.dataPath,
              "Data folder (dataset mode; for cifar10 the folder holding cifar-10-batches-bin, or that folder itself), or the image/audio file to score."),
        statisticsKey("dataset_mean", \.datasetMean,
                      "Per-channel mean for normalisation (3 numbers for images, 1 for audio); null = computed from the target class's training items."),
        statisticsKey("dataset_std", \.datasetStd,
                      "Per-channel standard deviation, like dataset_mean; null = computed."),
        lossWeightsKey,
        .integer("sample_rate", \.sampleRate, 1000...192_000, "Audio is resampled to this rate (Hz) after mixing to mono."),
        .integer("sample_len", \.sampleLength, 1025...10_000_000, "Samples per audio excerpt (43740 at 16 kHz = 2.73 s)."),
        .choice("evaluation_mode", \.evaluationMode, "Evaluate a whole data set, or score one image or audio file."),
        .number("temperature", \.temperature, Interval(lower: 0, upper: 10, isLowerOpen: true), "NT-Xent temperature."),
        .number("momentum", \.momentum, Interval(lower: 0, upper: 1, isUpperOpen: true), "Momentum of sgd and lars."),
        .number("crop_scale_min", \.cropScaleMin, Interval(lower: 0, upper: 1, isLowerOpen: true),
                "Images: the random resized crop keeps between this fraction of the area and all of it (CSI: 0.08)."),
        .integer("eval_samples", \.evalSamples, 1...64,
                 "CSI score: augmented samples averaged per item and shift."),
        .flag("eval_augment", \.evalAugment,
              "CSI score: augment each evaluation sample as in training (CSI's; true) or score the clean shifted input once (false; eval_samples is then 1)."),
        .integer("eval_train_items", \.evalTrainItems, 0...Int.max,
                 "CSI score: training items used as the reference set (0 = all)."),
        .flag("two_crops", \.usesTwoCrops, "Audio: the two views are different random crops of the track (CLMR), not one crop twice."),
        .flag("shared_shift_augment", \.sharesShiftAugmentation,
              "Audio with flip shifts: the shifted copies of a view are flips of one augmented log-mel image (half the data preparation) instead of each being augmented on its own (CSI's)."),
        .choice("audio_shift", \.audioShift,
                "Audio shifts: noise (the reference's Gaussian noise levels), flip (k=1 frequency flip, 2 time reversal, 3 both, of the log-mel image) or flip_time (k=1 time reversal, 2 frequency flip, 3 both)."),
        .choice("csi_terms", \.csiTerms,
                "CSI score: both terms (nearest-training-feature similarity + shift-head confidence, the paper's) or the shift term alone (better with few liked tracks: docs/history/measurements-2026.md)."),
        .choice("taste_score", \.tasteScore,
                "Music: what new tracks are ranked by. descriptor = kernel density of the liked tracks in a descriptor space learned once on reference music (timbre, spectral shape, dynamics, rhythm; no network is trained); csi = the CSI score of a network trained on the liked tracks; blend = both, each standardised by the liked tracks' own scores."),
        .optionalPath("descriptor_space", \.descriptorSpacePath,
                      "Music, taste_score descriptor or blend: a descriptor space written by `tunescore pretrain`, or null for the built-in one (fitted on reference game music)."),
        .integer("excerpts_per_track", \.excerptsPerTrack, 1...10_000,
                 "Audio training: random excerpts drawn from each track per epoch."),
        .integer("epoch_items", \.epochItems, 0...10_000_000,
                 "Audio training: excerpts per epoch, drawn from the tracks in turn (0 = excerpts_per_track per track). Fixes the training time whatever the number of liked tracks."),
        .integer("max_excerpts_per_track", \.maxExcerptsPerTrack, 0...1_000_000,
                 "Audio scoring: at most this many non-overlapping excerpts per track, evenly spread (0 = all); a track's score is their mean."),
        audioAugmentationsKey,
        .choice("score_checkpoint", \.scoreCheckpoint,
                "Which checkpoint a finished run scores and evaluates with: best (the lowest validation loss, best.pt) or last (the last epoch, last.pt)."),
        .choice("pitch_shift", \.pitchShift,
                refused: ["wsola": "\"wsola\" is now \"native\": libsox's own stretch computed in tunescore, so it equals \"sox\""],
                "Audio augmentation: the pitch-shift step on the audio with libsox's pitch + rate (sox: CLMR's), on the audio with libsox's WSOLA stretch computed in tunescore + libsoxr (native: the same joins and output as sox, at a fraction of the cost and without libsox's lock), or on the mel image (spectral: the spectrum's frequencies scaled into the mel bands, nearly free)."),
        .choice("reverb", \.reverb,
                "Audio augmentation: the reverb step through libsox's reverb effect (sox: CLMR's) or through tunescore's own implementation of it (native: the same Freeverb filters, parameters and output, to float rounding, at a fraction of the cost and without libsox's lock)."),
    ]

    private static let imageSizeKey = ConfigKey(
        name: "input_img_size", type: "[int, int]", range: "8…4096 each", help: "Network input [height, width]. Audio: the mel image of sample_len ([128, 128]), filled in when not given; another size is refused.",
        apply: { config, raw, _ in
            let size = try JSONRead.integers(raw)
            guard size.count == 2 else { throw ValueProblem(.outOfRange, "needs [height, width], got \(size.count) numbers") }
            guard size.allSatisfy({ (8...4096).contains($0) }) else {
                throw ValueProblem(.outOfRange, "each side must be in 8…4096, got \(size)")
            }
            config.inputImageSize = size
        },
        value: { .array($0.inputImageSize.map(JSONValue.integer)) })

    private static let audioAugmentationsKey = ConfigKey(
        name: "audio_augmentations", type: "[string]",
        range: "any of " + AudioAugmentation.Step.allCases.map(\.rawValue).joined(separator: ", "),
        help: "Audio training: the augmentation steps applied, each with its probability (method.md); [] = none.",
        apply: { config, raw, _ in
            guard let items = raw as? [Any] else {
                throw ValueProblem(.wrongType, "expected an array of step names, got \(JSONRead.describe(raw))")
            }
            config.audioAugmentations = try items.map { try ConfigKey.parseChoice($0, refused: [:]) }
        },
        value: { .array($0.audioAugmentations.map { .string($0.rawValue) }) })

    private static func statisticsKey(
        _ name: String, _ path: WritableKeyPath<RunConfig, [Double]?> & Sendable, _ help: String
    ) -> ConfigKey {
        ConfigKey(
            name: name, type: "[number]|null", range: "3 numbers (image) or 1 (audio)", help: help,
            apply: { config, raw, _ in
                if JSONRead.isNull(raw) { config[keyPath: path] = nil; return }
                let values = try JSONRead.numbers(raw)
                guard [1, 3].contains(values.count), values.allSatisfy({ $0.isFinite && abs($0) < 1e6 }) else {
                    throw ValueProblem(.outOfRange, "needs 1 or 3 finite numbers, got \(values.count)")
                }
                config[keyPath: path] = values
            },
            value: { $0[keyPath: path].map { .array($0.map(JSONValue.number)) } ?? .null })
    }

    /// The names of the loss weights, in order, with where each lives in `LossWeights`.
    private static let lossWeightNames: [(String, WritableKeyPath<LossWeights, Double> & Sendable)] = [
        ("weight_sim", \.similarity), ("weight_shift", \.shift), ("weight_cls", \.classification), ("weight_norm", \.norm),
    ]

    private static let lossWeightsKey = ConfigKey(
        name: "loss_weights", type: "object", range: "weight_sim, weight_shift, weight_cls, weight_norm ≥ 0",
        help: "Weights of the NT-Xent, shift, class and norm loss terms; missing weights keep their values; 0 = term off.",
        apply: { config, raw, _ in
            guard let object = raw as? [String: Any] else {
                throw ValueProblem(.wrongType, "expected an object {\"weight_sim\": …}, got \(JSONRead.describe(raw))")
            }
            let names = lossWeightNames.map(\.0)
            for name in object.keys.sorted() where !names.contains(name) {
                let hint = nearest(to: name, among: names).map { "; did you mean '\($0)'?" } ?? ""
                throw ValueProblem(.unknownKey(suggestion: nearest(to: name, among: names)), "unknown key\(hint)", subkey: name)
            }
            for (name, path) in lossWeightNames {
                guard let value = object[name] else { continue }
                do {
                    let weight = try JSONRead.number(value)
                    guard weight >= 0, weight.isFinite else { throw ValueProblem(.outOfRange, "must be ≥ 0, got \(weight)") }
                    config.lossWeights[keyPath: path] = weight
                } catch var problem as ValueProblem {
                    problem.subkey = name
                    throw problem
                }
            }
        },
        value: { config in .object(lossWeightNames.map { ($0.0, .number(config.lossWeights[keyPath: $0.1])) }) })
}
