#if canImport(Glibc)
import Glibc
#endif

/// A benchmark could not run: it has nothing to work on, or what it measures did not hold; `message` says which.
public struct BenchmarkError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// This process's memory, as benchmarks report it.
public enum ProcessMemory {
    /// The peak resident set so far (getrusage's ru_maxrss).
    public static func peakResidentBytes() -> Int64 {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int64(usage.ru_maxrss) * 1024
    }
}
