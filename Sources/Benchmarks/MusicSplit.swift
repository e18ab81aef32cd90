import Features
import LibraryScanner
import Model

/// Which tracks train, validate and test a one-class music model.
public struct MusicSplit: Sendable {
    public var train: [AudioTrack]
    public var validation: [AudioTrack]
    /// Held-out in-class tracks and outlier tracks; `testIsInClass` tells which.
    public var test: [AudioTrack]
    public var testIsInClass: [Bool]
    /// Outlier tracks given to the model as known dislikes (not tested).
    public var disliked: [AudioTrack] = []

    public init(train: [AudioTrack], validation: [AudioTrack], test: [AudioTrack], testIsInClass: [Bool]) {
        self.train = train
        self.validation = validation
        self.test = test
        self.testIsInClass = testIsInClass
    }

    /// Splits `liked` by track: a seeded `trainFraction` trains (less `validationFraction` of those for
    /// validation), the rest is held out and tested together with every track of `others`.
    public static func heldOut(liked: [AudioTrack], others: [AudioTrack], trainFraction: Double,
                               validationFraction: Double, seed: UInt64) -> MusicSplit {
        var generator = SeededGenerator(seed: seed ^ 0x7EA1)
        let order = liked.indices.shuffled(using: &generator)
        let trainCount = Int((Double(liked.count) * trainFraction).rounded())
        let trainAll = order.prefix(trainCount).sorted().map { liked[$0] }
        let held = order.dropFirst(trainCount).sorted().map { liked[$0] }
        let (train, validation) = validationSplit(count: trainAll.count, fraction: validationFraction, seed: seed)
        return MusicSplit(train: train.map { trainAll[$0] }, validation: validation.map { trainAll[$0] },
                          test: held + others, testIsInClass: held.map { _ in true } + others.map { _ in false })
    }

    /// The same split with `count` seeded outlier tracks moved from the test set to the known dislikes.
    public func withDislikes(_ count: Int, seed: UInt64) -> MusicSplit {
        guard count > 0 else { return self }
        var generator = SeededGenerator(seed: seed ^ 0xD15C)
        let outliers = test.indices.filter { !testIsInClass[$0] }.shuffled(using: &generator).prefix(count)
        let moved = Set(outliers)
        var split = MusicSplit(train: train, validation: validation, test: test.indices.filter { !moved.contains($0) }.map { test[$0] },
                               testIsInClass: testIsInClass.indices.filter { !moved.contains($0) }.map { testIsInClass[$0] })
        split.disliked = outliers.sorted().map { test[$0] }
        return split
    }
}
