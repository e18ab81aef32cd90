import Features
import Dispatch
import Foundation
import LibraryScanner

/// Where trained taste models live: `$XDG_DATA_HOME/tunescore/models/NAME` (or ~/.local/share/…).
public enum ModelStore {
    public static func folder(named name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        URL(fileURLWithPath: XDGFolders(environment: environment).data).appendingPathComponent("models").appendingPathComponent(name)
    }

    /// The store's model folder whose profile has `modelID`, if any.
    public static func folder(forModelID modelID: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let root = folder(named: "", environment: environment)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().map { root.appendingPathComponent($0) }
            .first { (try? TasteProfile.load(from: $0))?.modelID == modelID }
    }

    /// A model given as a name (in the store) or as a path to a model folder.
    public static func resolve(_ nameOrPath: String) -> URL {
        nameOrPath.contains("/") ? URL(fileURLWithPath: nameOrPath) : folder(named: nameOrPath)
    }
}

/// Trains a taste model on liked tracks: decode into the cache, split by track (never by excerpt),
/// train, then build the taste profile that scoring needs.
public struct TasteTraining: Sendable {
    public let config: RunConfig
    public let tracks: [AudioTrack]
    /// Tracks of `tracks` that validate instead of training; nil = a seeded `validation_fraction` of them.
    public let validation: Set<AudioTrack>?
    public let cache: PCMCache
    /// `best.pt`, `last.pt` and `profile.json` go here.
    public let folder: URL

    /// Tracks the person skipped: known dislikes, which push scores down near them.
    public let disliked: [AudioTrack]

    /// The data-parallel group the network trains in; nil trains alone. Rank 0 runs `run`, the others `trainAsFollower`.
    public var group: ProcessGroup?

    public init(config: RunConfig, tracks: [AudioTrack], disliked: [AudioTrack] = [], validation: Set<AudioTrack>? = nil,
                cache: PCMCache, folder: URL) {
        self.config = config
        self.tracks = tracks
        self.disliked = disliked
        self.validation = validation
        self.cache = cache
        self.folder = folder
    }

    /// The outcome: training numbers, the profile, and the network `score_checkpoint` picked (ready to score); no
    /// training numbers and no network when the ranking needs none (`taste_score: descriptor`).
    public struct Outcome: Sendable {
        public var result: TrainingResult?
        public var profile: TasteProfile
        public var network: CSINetwork?
        public var skipped: [SkippedFile]
        public var trainTracks: Int
        public var validationTracks: Int
    }

    /// Runs everything; `say` narrates, `hook` sees the trainer (to stop it on a signal), `observer` (when a network is
    /// trained) the run.
    public func run(log: TrainingLog, resume: Bool = false, observer: (any TrainingObserver)? = nil,
                    say: @Sendable (String) -> Void, hook: ((Trainer) -> Void)? = nil) throws -> Outcome {
        say("decoding \(tracks.count) liked tracks (each file once; later runs use the cache in \(cache.folder))")
        let decoded = MusicCollection.decode(tracks, cache: cache, threads: ProcessInfo.processInfo.activeProcessorCount) { done, total in
            if done % 25 == 0 || done == total { say("decoded \(done)/\(total)") }
        }
        for file in decoded.skipped { say("skipped \(file)") }
        guard decoded.tracks.count >= 2 else {
            throw TorchError(code: .invalidArgument, message: "training needs at least 2 readable liked tracks, found \(decoded.tracks.count)")
        }
        let isTrain = trainingMask(decoded.tracks)
        let dislikes = MusicCollection.decode(disliked, cache: cache, threads: ProcessInfo.processInfo.activeProcessorCount)
        for file in dislikes.skipped { say("skipped \(file)") }
        say("describing \(decoded.tracks.count) liked tracks")
        let space = try DescriptorSpace.forConfig(config)
        let descriptors = DescriptorTaste(config: config, liked: decoded.pcm, disliked: dislikes.pcm, space: space,
                                          threads: ProcessInfo.processInfo.activeProcessorCount)
        guard config.tasteScore.needsNetwork else {
            // Without a network every liked track calibrates, each scored against the others as new music would be.
            let profile = TasteProfile(
                modelID: UUID().uuidString.lowercased(), createdAt: Date(), reference: nil,
                liked: likedTracks(decoded.tracks, isTrain: isTrain, embeddings: nil, descriptors: descriptors.likedEmbeddings),
                calibrationScores: descriptors.calibrationScores, calibrationSource: "all liked (each against the others)",
                weightsFile: nil, descriptorSpace: space,
                ranking: TasteRanking(kind: .descriptor, descriptorCalibration: descriptors.calibrationScores, csiCalibration: []),
                configJSON: config.json(), dislikedEmbeddings: descriptors.dislikedEmbeddings)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try profile.save(to: folder)
            return Outcome(result: nil, profile: profile, network: nil, skipped: decoded.skipped, trainTracks: decoded.tracks.count,
                           validationTracks: 0)
        }
        return try trainNetwork(decoded: (decoded.tracks, decoded.pcm, decoded.skipped), isTrain: isTrain, descriptors: descriptors,
                                log: log, resume: resume, observer: observer, say: say, hook: hook)
    }

    private func trainNetwork(decoded: (tracks: [AudioTrack], pcm: [PCMTrack], skipped: [SkippedFile]), isTrain: [Bool],
                              descriptors: DescriptorTaste, log: TrainingLog, resume: Bool, observer: (any TrainingObserver)?,
                              say: @Sendable (String) -> Void, hook: ((Trainer) -> Void)?) throws -> Outcome {
        let views = try AudioViewMaker(config: config)
        let (trainSource, validationSource, trainIndices, validationIndices) = try sources(decoded.tracks, pcm: decoded.pcm, isTrain: isTrain,
                                                                                          views: views)
        TorchRuntime.seed(UInt64(config.seed))
        let network = try CSINetwork(spec: config.networkSpec(channels: 1))
        var settings = config.trainingSettings
        settings.checkpointFolder = folder
        try observer?.willTrain(spec: network.spec, settings: settings, items: trainSource)
        let trainer = try Trainer(network: network, settings: settings, configJSON: config.json(), group: group)
        hook?(trainer)
        say("training on \(trainIndices.count) tracks (\(trainSource.count) excerpts an epoch), validating on \(validationIndices.count)")
        let result = try trainer.run(train: trainSource, validation: validationSource, resume: resume) { event in
            log.record(event)
            observer?.observe(event)
        }
        guard !result.wasStopped else {
            throw TrainingStopped(lastCheckpoint: result.lastCheckpoint, epochs: result.epochsCompleted)
        }
        try observer?.didTrain()

        say("building the taste profile (calibration and liked-track embeddings)")
        let weights = config.scoringCheckpoint(of: result)
        let (scored, _) = try Checkpoint.load(from: weights)
        let referenceItems = AudioExcerpts.fixedItems(pcm: decoded.pcm, excerptLength: config.sampleLength, limit: 4)
            .filter { isTrain[$0.track] }
        let reference = AudioExcerpts(tracks: decoded.tracks, pcm: decoded.pcm, items: referenceItems, views: views, usesTwoCrops: false)
        let scorer = try CSIScorer(network: scored, reference: limitedSubset(reference, to: config.evalTrainItems, seed: UInt64(config.seed)),
                                   settings: config.scoringSettings)
        // Held-out tracks score as new liked music would (the fit's scale); with too few of them for a smooth
        // percentile scale, every liked track calibrates (training tracks score a little higher, so fits come
        // out conservative). Otherwise training tracks need only an embedding for the "closest liked tracks"
        // reasons, and 8 excerpts give it at a quarter of the cost (a thousand tracks: 2 minutes instead of 6).
        let useHeldOut = validationIndices.count >= 20
        let embeddingExcerpts = useHeldOut ? min(8, config.maxExcerptsPerTrack) : config.maxExcerptsPerTrack
        var likedCSI = [Double](repeating: 0, count: decoded.tracks.count)
        var embeddings = [[Float]](repeating: [], count: decoded.tracks.count)
        for (indices, excerpts) in [(validationIndices, config.maxExcerptsPerTrack), (trainIndices, embeddingExcerpts)] where !indices.isEmpty {
            let scores = try scorer.scoreTracks(indices.map { decoded.tracks[$0] }, pcm: indices.map { decoded.pcm[$0] },
                                                views: views, maxExcerpts: excerpts)
            for (position, t) in indices.enumerated() {
                likedCSI[t] = scores.csi[position]
                embeddings[t] = scores.embeddings[position]
            }
        }
        let calibrationIndices = useHeldOut ? validationIndices : Array(decoded.tracks.indices)
        let ranking = TasteRanking(kind: config.tasteScore, descriptorCalibration: descriptors.calibrationScores,
                                   csiCalibration: calibrationIndices.map { likedCSI[$0] })
        let profile = TasteProfile(
            modelID: result.modelID, createdAt: Date(), reference: scorer.reference,
            liked: likedTracks(decoded.tracks, isTrain: isTrain, embeddings: embeddings, descriptors: descriptors.likedEmbeddings),
            calibrationScores: calibrationIndices.map { ranking.score(descriptor: descriptors.calibrationScores[$0], csi: likedCSI[$0]) },
            calibrationSource: useHeldOut ? "held-out" : "all liked", weightsFile: weights.lastPathComponent,
            descriptorSpace: descriptors.space, ranking: ranking, configJSON: config.json(),
            dislikedEmbeddings: descriptors.dislikedEmbeddings)
        try profile.save(to: folder)
        return Outcome(result: result, profile: profile, network: scored, skipped: decoded.skipped, trainTracks: trainIndices.count,
                       validationTracks: validationIndices.count)
    }
}

extension TasteTraining {
    /// The training excerpts (and validation excerpts) of the decoded liked tracks: the same on every rank.
    func sources(_ tracks: [AudioTrack], pcm: [PCMTrack], isTrain: [Bool], views: AudioViewMaker) throws
        -> (train: SubsetSource<AudioExcerpts>, validation: SubsetSource<AudioExcerpts>, trainIndices: [Int], validationIndices: [Int]) {
        let trainIndices = isTrain.indices.filter { isTrain[$0] }, validationIndices = isTrain.indices.filter { !isTrain[$0] }
        let trainItems = AudioExcerpts.trainingItems(tracks: trainIndices, perTrack: config.excerptsPerTrack, perEpoch: config.epochItems)
        let validationItems = AudioExcerpts.fixedItems(pcm: pcm, excerptLength: config.sampleLength, limit: 4)
            .filter { !isTrain[$0.track] }
        let base = AudioExcerpts(tracks: tracks, pcm: pcm, items: trainItems + validationItems, views: views,
                                 usesTwoCrops: config.usesTwoCrops)
        return (SubsetSource(base, indices: Array(0..<trainItems.count)), SubsetSource(base, indices: Array(trainItems.count..<base.count)),
                trainIndices, validationIndices)
    }

    /// A rank other than 0 of `group`: decodes the liked tracks, trains its shard of every step alongside rank 0, and
    /// leaves the validation, checkpoints, logs and the taste profile to rank 0.
    public func trainAsFollower(resume: Bool = false, say: @Sendable (String) -> Void) throws -> RankReport {
        guard let group, !group.isLeader else { throw TorchError(code: .invalidArgument, message: "trainAsFollower is for ranks other than 0") }
        guard config.tasteScore.needsNetwork else {
            throw TorchError(code: .invalidArgument, message: "taste_score \(config.tasteScore.rawValue) trains no network: run it alone, without a group")
        }
        let decoded = MusicCollection.decode(tracks, cache: cache, threads: ProcessInfo.processInfo.activeProcessorCount)
        guard decoded.tracks.count >= 2 else {
            throw TorchError(code: .invalidArgument, message: "training needs at least 2 readable liked tracks, found \(decoded.tracks.count)")
        }
        let (train, _, _, _) = try sources(decoded.tracks, pcm: decoded.pcm, isTrain: trainingMask(decoded.tracks),
                                           views: try AudioViewMaker(config: config))
        TorchRuntime.seed(UInt64(config.seed))
        let network = try CSINetwork(spec: config.networkSpec(channels: 1))
        var settings = config.trainingSettings
        settings.checkpointFolder = folder
        say("rank \(group.rank) of \(group.worldSize): training its shard of \(train.count) excerpts an epoch")
        let result = try Trainer(network: network, settings: settings, configJSON: config.json(), group: group)
            .run(train: train, validation: Optional<SubsetSource<AudioExcerpts>>.none, resume: resume) { _ in }
        return RankReport(result)
    }

    /// The liked tracks as the profile keeps them.
    func likedTracks(_ tracks: [AudioTrack], isTrain: [Bool], embeddings: [[Float]]?, descriptors: [[Float]]) -> [LikedTrack] {
        tracks.indices.map { t in
            LikedTrack(path: Data(tracks[t].path.bytes), displayName: tracks[t].displayName, embedding: embeddings?[t] ?? [],
                       isHeldOut: !isTrain[t], descriptorEmbedding: descriptors[t])
        }
    }

    /// Which decoded tracks train (the rest validate).
    func trainingMask(_ decoded: [AudioTrack]) -> [Bool] {
        if let validation { return decoded.map { !validation.contains($0) } }
        let (trainIndices, _) = validationSplit(count: decoded.count, fraction: config.validationFraction, seed: UInt64(config.seed))
        let train = Set(trainIndices)
        return decoded.indices.map { train.contains($0) }
    }
}

/// Training was stopped on request; `last.pt` holds the last finished epoch.
public struct TrainingStopped: Error, CustomStringConvertible, Sendable {
    public let lastCheckpoint: URL
    public let epochs: Int
    public var description: String {
        "stopped; \(lastCheckpoint.path) holds epoch \(epochs): continue with --resume"
    }
}
