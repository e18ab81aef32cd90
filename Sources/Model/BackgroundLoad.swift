import Foundation

/// CPU hogs beside a benchmark, one per core, as a desktop's background jobs would be: busy shell loops at nice 19
/// (a backup, an indexer) or at nice 0 (a second program in use). They stop when `stop()` is called or the value is
/// released.
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
            process.arguments = ["-n", kind == .nice19 ? "19" : "0", "/bin/sh", "-c", "while :; do :; done"]
            try process.run()
            processes.append(process)
        }
    }

    /// Ends the loops and waits for them.
    public func stop() {
        for process in processes where process.isRunning { process.terminate() }
        for process in processes { process.waitUntilExit() }
        processes = []
    }

    deinit { stop() }
}
