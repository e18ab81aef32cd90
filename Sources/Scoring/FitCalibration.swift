/// Turns a raw CSI track score into a fit from 0 to 100: where the score falls among the liked tracks' own
/// scores.
///
/// CSI scores have no fixed scale (they depend on the network and its calibration), so a percentile among
/// scores of music the user is known to like is the number people can read: 50 means "as typical as the
/// median liked track".
public struct FitCalibration: Sendable, Equatable {
    /// The finite calibration scores, ascending.
    public let sortedScores: [Double]

    /// Why a calibration could not be built.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// No finite calibration score was given.
        case noScores

        /// The problem, for people.
        public var description: String {
            switch self {
            case .noScores: "the fit calibration has no finite scores (the taste model is incomplete: train it again)"
            }
        }
    }

    /// A calibration from the liked tracks' own CSI track scores (higher = more typical).
    ///
    /// Non-finite scores are left out. An empty calibration throws rather than answering 50 for everything:
    /// a fit that means nothing should stop the ranking, not quietly make every track look average.
    /// - Throws: `FitCalibration.Error.noScores` when no finite score is left.
    public init(scores: [Double]) throws {
        let finite = scores.filter(\.isFinite).sorted()
        guard !finite.isEmpty else { throw Error.noScores }
        sortedScores = finite
    }

    /// The percentile (0...100) of `score` among the calibration scores, ties counted half.
    ///
    /// Above every calibration score gives 100, below every one gives 0, the median gives about 50.
    /// NaN gives 0: a track that could not be scored must not rank high.
    public func fit(for score: Double) -> Double {
        guard !score.isNaN else { return 0 }
        let below = firstIndex { $0 >= score }
        let notAbove = firstIndex { $0 > score }
        let equal = notAbove - below
        return (Double(below) + 0.5 * Double(equal)) / Double(sortedScores.count) * 100
    }

    /// The first index whose score satisfies `predicate`, which must be false then true along the sorted
    /// scores (binary search: calibrations are small, but scoring calls this per track).
    private func firstIndex(where predicate: (Double) -> Bool) -> Int {
        var low = 0
        var high = sortedScores.count
        while low < high {
            let middle = (low + high) / 2
            if predicate(sortedScores[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
