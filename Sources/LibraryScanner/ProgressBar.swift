import Foundation

/// Draws scan progress on stderr the way SwiftPM does: a bar redrawn in place on a terminal, one plain line per
/// update when piped, at most `maximumRate` updates a second, and a summary line at the end.
public final class ProgressBar: @unchecked Sendable {
    private let isTerminal: Bool
    private let minimumInterval: Double
    private let write: @Sendable (String) -> Void
    private let width = 30
    /// Guards `lastDrawn` and `hasDrawnBar`: progress may be reported from any thread.
    private let lock = NSLock()
    private var lastDrawn: Double = -.infinity
    private var hasDrawnBar = false

    /// A bar on standard error, redrawn when standard error is a terminal.
    public convenience init(maximumRate: Double = 10) {
        let isTerminal = isatty(STDERR_FILENO) != 0
        self.init(isTerminal: isTerminal, maximumRate: maximumRate) { text in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// A bar that hands its text to `write`; for tests and for other streams.
    public init(isTerminal: Bool, maximumRate: Double = 10, write: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        minimumInterval = 1 / maximumRate
        self.write = write
    }

    /// Shows `progress`, unless the last update was drawn less than 1/`maximumRate` s ago. The last step of the
    /// reading phase is always drawn.
    public func update(_ progress: ScanProgress) {
        let isLast = progress.phase == .reading && progress.filesRead == progress.filesToRead
        let now = Self.seconds()
        let shouldDraw = lock.withLock {
            guard isLast || now - lastDrawn >= minimumInterval else { return false }
            lastDrawn = now
            hasDrawnBar = true
            return true
        }
        if shouldDraw { write(isTerminal ? "\r\u{1B}[K" + line(for: progress) : line(for: progress) + "\n") }
    }

    /// Ends the bar's line and writes the summary.
    public func finish(_ summary: ScanSummary) {
        let endBar = lock.withLock { isTerminal && hasDrawnBar }
        write((endBar ? "\r\u{1B}[K" : "") + Self.summaryLine(summary) + "\n")
    }

    /// "12 new, 1 changed, 300 unchanged, 2 failed" plus the rarer counts when they are not zero.
    public static func summaryLine(_ summary: ScanSummary) -> String {
        var parts = ["\(summary.new) new", "\(summary.changed) changed", "\(summary.unchanged) unchanged",
                     "\(summary.failed) failed"]
        if summary.removed > 0 { parts.append("\(summary.removed) removed") }
        if summary.ignored > 0 { parts.append("\(summary.ignored) not audio") }
        if !summary.unreadable.isEmpty { parts.append("\(summary.unreadable.count) unreadable folders or links") }
        return "scan: " + parts.joined(separator: ", ")
    }

    private func line(for progress: ScanProgress) -> String {
        switch progress.phase {
        case .walking:
            return "scan: looking for files, \(progress.filesFound) found"
        case .reading:
            let fraction = progress.filesToRead == 0 ? 1 : Double(progress.filesRead) / Double(progress.filesToRead)
            let filled = Int(fraction * Double(width))
            let bar = isTerminal ? "[" + String(repeating: "#", count: filled)
                + String(repeating: "-", count: width - filled) + "] " : ""
            let name = progress.currentPath.map { " " + String(decoding: $0.lastComponent, as: UTF8.self) } ?? ""
            return "scan: \(bar)\(progress.filesRead)/\(progress.filesToRead) read\(name)"
        }
    }

    private static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
