import Foundation
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

/// Runs `body` in a new folder `tunescore-bench-NAME-PID` of the temporary folder and removes the folder after it,
/// so a benchmark starts from nothing (no catalog, no cache) and leaves nothing behind.
func inWorkFolder<T>(_ name: String, _ body: (URL) throws -> T) throws -> T {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tunescore-bench-\(name)-\(getpid())")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    return try body(work)
}
