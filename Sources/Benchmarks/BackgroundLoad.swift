import Foundation

/// CPU hogs beside a benchmark, one per core, as a desktop's background jobs would be: busy shell loops at nice 19
/// (a backup, an indexer) or at nice 0 (a second program in use). They stop when `stop()` is called, the value is
/// released, or the process that started them is gone (killed).
public final class BackgroundLoad: @unchecked Sendable {
    /// How the hogs are scheduled.
    public enum Kind: String, CaseIterable, Sendable {
        case nice19, nice0
    }

    private var processes: [Process] = []

    /// Starts `count` busy loops (default: one per core).
    public init(_ kind: Kind, count: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        for _ in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
            // The loop checks now and then that the benchmark still runs, so a benchmark killed outright leaves no hog.
            let loop = "while kill -0 \(getpid()) 2>/dev/null; do i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; done"
            process.arguments = ["-n", kind == .nice19 ? "19" : "0", "/bin/sh", "-c", loop]
            try process.run()
            processes.append(process)
        }
    }

    /// Runs `body` beside loops of `kind` (alone when nil), and ends them afterwards.
    public static func running<T>(beside kind: Kind?, _ body: () throws -> T) throws -> T {
        let load = try kind.map { try BackgroundLoad($0) }
        defer { load?.stop() }
        return try body()
    }

    /// Ends the loops and waits for them.
    public func stop() {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes { process.waitUntilExit() }
        processes = []
    }

    deinit { stop() }
}
