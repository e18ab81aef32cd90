import Foundation

/// Shows training progress on stderr: on a terminal one redrawing line (epoch, items, loss,
/// items/s, ETA) at most 10 times a second; when piped, plain lines at every tenth of an epoch and
/// at each epoch's end; and a summary line when training ends.
public final class ProgressReporter: @unchecked Sendable {
    /// Whether the output redraws one line (a terminal) or appends plain lines (a pipe or file).
    public let isTerminal: Bool
    private let totalEpochs: Int
    private let itemsPerEpoch: Int
    private let emit: @Sendable (String) -> Void
    private let clock: @Sendable () -> Double
    private let lock = NSLock()

    private var epoch = 0
    private var epochStart = 0.0
    private var runStart: Double
    private var lastDraw = -Double.infinity
    private var lastTenth = 0
    private var itemsSoFar = 0
    private var lastLoss = Double.nan

    /// - Parameters:
    ///   - isTerminal: redraw one line; defaults to whether stderr is a terminal.
    ///   - emit: where text goes (default: stderr, unbuffered); a terminal redraw starts with "\r".
    ///   - clock: seconds, monotonic; injectable for tests.
    public init(
        totalEpochs: Int, itemsPerEpoch: Int, isTerminal: Bool = isatty(2) != 0,
        emit: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
        clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.totalEpochs = totalEpochs
        self.itemsPerEpoch = max(itemsPerEpoch, 1)
        self.isTerminal = isTerminal
        self.emit = emit
        self.clock = clock
        self.runStart = clock()
    }

    /// Marks the start of epoch `epoch` (1-based).
    public func startEpoch(_ epoch: Int) {
        lock.withLock {
            self.epoch = epoch
            epochStart = clock()
            lastTenth = 0
            lastDraw = -Double.infinity
        }
    }

    /// Reports `itemsDone` of this epoch's items and the latest (or running mean) loss.
    public func update(itemsDone: Int, loss: Double) {
        lock.withLock {
            lastLoss = loss
            let now = clock()
            if isTerminal {
                guard now - lastDraw >= 0.1 else { return }
                lastDraw = now
                emit("\r\u{1B}[K" + line(itemsDone: itemsDone, now: now))
            } else {
                let tenth = itemsDone * 10 / itemsPerEpoch
                guard tenth > lastTenth, tenth < 10 else { return }
                lastTenth = tenth
                emit(line(itemsDone: itemsDone, now: now) + "\n")
            }
        }
    }

    /// Ends the epoch with its final line; `extra` is appended (e.g. "val 2.91 auroc 0.873").
    public func finishEpoch(itemsDone: Int, loss: Double, extra: String = "") {
        lock.withLock {
            lastLoss = loss
            itemsSoFar += itemsDone
            let now = clock()
            let text = line(itemsDone: itemsDone, now: now) + (extra.isEmpty ? "" : "  " + extra)
            emit(isTerminal ? "\r\u{1B}[K" + text + "\n" : text + "\n")
        }
    }

    /// The summary line once training is over; `extra` is appended.
    public func finish(extra: String = "") {
        lock.withLock {
            let seconds = clock() - runStart
            let rate = seconds > 0 ? Double(itemsSoFar) / seconds : 0
            var text = "trained \(epoch) of \(totalEpochs) epochs, \(itemsSoFar) items in \(ProgressReporter.clockText(seconds))"
            text += String(format: " (%.0f items/s), final loss %.4f", rate, lastLoss)
            emit(text + (extra.isEmpty ? "" : ", " + extra) + "\n")
        }
    }

    private func line(itemsDone: Int, now: Double) -> String {
        let elapsed = now - epochStart
        let rate = elapsed > 0 ? Double(itemsDone) / elapsed : 0
        // ETA of the whole run: the rest of this epoch plus the epochs still to come.
        let remainingItems = (itemsPerEpoch - itemsDone) + (totalEpochs - epoch) * itemsPerEpoch
        let eta = rate > 0 ? ProgressReporter.clockText(Double(remainingItems) / rate) : "?"
        let width = String(totalEpochs).count
        let epochText = String(repeating: " ", count: max(0, width - String(epoch).count)) + String(epoch)
        return "epoch \(epochText)/\(totalEpochs) \(itemsDone)/\(itemsPerEpoch)"
            + String(format: " loss %.4f %.0f items/s", lastLoss, rate) + " ETA \(eta)"
    }

    /// h:mm:ss, or m:ss under an hour.
    static func clockText(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        let (h, m, r) = (s / 3600, s / 60 % 60, s % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
    }
}

/// The run's text log, `train.log` in the log folder: one timestamped line per call, appended and
/// flushed at once so it survives a crash and can be followed with `tail -f`.
public final class RunLog: @unchecked Sendable {
    /// The log file's path.
    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private let lock = NSLock()

    /// Opens (creating the folder and file if needed) `directory/fileName` for appending.
    /// - Throws: `CocoaError` when it cannot be created.
    public init(directory: String, fileName: String = "train.log") throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
        guard let handle = fopen(path, "a") else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        file = handle
    }

    deinit { fclose(file) }

    /// Appends `line` with an ISO 8601 time stamp.
    public func write(_ line: String, at date: Date = Date()) {
        let stamp = ISO8601DateFormatter.string(from: date, timeZone: .current, formatOptions: [.withInternetDateTime])
        let text = "\(stamp) \(line)\n"
        lock.withLock {
            fputs(text, file)
            fflush(file)
        }
    }
}
