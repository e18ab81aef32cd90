import Model

/// What one all-reduce costs on a group's transport, for several message sizes: the communication a data-parallel step
/// adds for a model of that many parameters.
public struct AllReduceBenchmark: Codable, Sendable {
    /// One message size's cost.
    public struct Row: Codable, Sendable {
        /// Floats in the message (a model's parameter count), and their megabytes.
        public var floats: Int
        public var megabytes: Double
        /// Mean seconds of one all-reduce (after one warm-up).
        public var seconds: Double
        /// megabytes / seconds, in GB/s: the payload rate, not the wire rate (a ring sends 2(N-1)/N of it per rank).
        public var gigabytesPerSecond: Double
    }

    /// The group that measured, and which rank reports.
    public var worldSize: Int
    public var rank: Int
    /// One row per message size, in the order asked.
    public var rows: [Row]

    /// Times `repeats` all-reduces of each size in `floats` on `group` (every rank must call it with the same sizes).
    public static func run(group: ProcessGroup, floats: [Int], repeats: Int) throws -> AllReduceBenchmark {
        let rows = try floats.map { count -> Row in
            let seconds = try group.allReduceSeconds(floats: count, repeats: repeats)
            let megabytes = Double(count) * 4 / 1e6
            return Row(floats: count, megabytes: megabytes, seconds: seconds, gigabytesPerSecond: megabytes / 1e3 / seconds)
        }
        return AllReduceBenchmark(worldSize: group.worldSize, rank: group.rank, rows: rows)
    }
}
