/// One point of a ROC curve: the rates reached when every score ≥ `threshold` is called positive.
public struct ROCPoint: Sendable, Equatable {
    public let threshold: Double
    public let falsePositiveRate: Double
    public let truePositiveRate: Double
}

/// Area under the ROC curve for novelty scores: positives (in-distribution) should score higher.
public enum AUROC {
    /// The AUROC of `scores` against `isPositive`, by Mann–Whitney U with average ranks, so tied
    /// scores of a positive and a negative count half. O(n log n).
    /// Returns nil when either class is empty or a score is NaN (no meaningful area).
    public static func area<Score: BinaryFloatingPoint>(scores: [Score], isPositive: [Bool]) -> Double? {
        let scores = scores.map { Double($0) }
        precondition(scores.count == isPositive.count, "one label per score")
        let positives = isPositive.filter { $0 }.count
        let negatives = scores.count - positives
        guard positives > 0, negatives > 0, !scores.contains(where: \.isNaN) else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var positiveRankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
            // Ranks start..end (0-based) are tied: each gets their mean, 1-based.
            let averageRank = Double(start + end) / 2 + 1
            for k in start...end where isPositive[order[k]] { positiveRankSum += averageRank }
            start = end + 1
        }
        let u = positiveRankSum - Double(positives) * Double(positives + 1) / 2
        return u / (Double(positives) * Double(negatives))
    }

    /// The ROC curve from (0, 0) to (1, 1), one point per distinct score from high to low; a run of
    /// tied scores is one step, so the trapezoid area under these points equals `area`.
    /// Empty when either class is empty or a score is NaN.
    public static func curve<Score: BinaryFloatingPoint>(scores: [Score], isPositive: [Bool]) -> [ROCPoint] {
        let scores = scores.map { Double($0) }
        precondition(scores.count == isPositive.count, "one label per score")
        let positives = Double(isPositive.filter { $0 }.count)
        let negatives = Double(scores.count) - positives
        guard positives > 0, negatives > 0, !scores.contains(where: \.isNaN) else { return [] }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var points = [ROCPoint(threshold: .infinity, falsePositiveRate: 0, truePositiveRate: 0)]
        var truePositives = 0.0, falsePositives = 0.0
        var start = 0
        while start < order.count {
            let threshold = scores[order[start]]
            var end = start
            while end < order.count && scores[order[end]] == threshold {
                if isPositive[order[end]] { truePositives += 1 } else { falsePositives += 1 }
                end += 1
            }
            points.append(ROCPoint(threshold: threshold, falsePositiveRate: falsePositives / negatives,
                                   truePositiveRate: truePositives / positives))
            start = end
        }
        return points
    }

    /// The share of positives among the `k` highest scores (ties keep the given order): what a person sees at the top
    /// of a ranked list.
    public static func precision(at k: Int, scores: [Double], isPositive: [Bool]) -> Double {
        let top = scores.indices.sorted { (scores[$0], $1) > (scores[$1], $0) }.prefix(k)
        return top.isEmpty ? 0 : Double(top.filter { isPositive[$0] }.count) / Double(top.count)
    }
}
