import Foundation
import TestSupport
import XCTest
@testable import Model

/// Collects what a reporter emits and serves a hand-driven clock.
private final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var texts = [String]()
    private var time = 0.0

    var output: [String] { lock.withLock { texts } }
    func emit(_ text: String) { lock.withLock { texts.append(text) } }
    func now() -> Double { lock.withLock { time } }
    func advance(_ seconds: Double) { lock.withLock { time += seconds } }
}

final class ProgressReporterTests: XCTestCase {
    func testPipedOutputIsPlainLinesPerTenth() {
        let recorder = Recorder()
        let reporter = ProgressReporter(totalEpochs: 2, itemsPerEpoch: 100, isTerminal: false,
                                        emit: { recorder.emit($0) }, clock: { recorder.now() })
        reporter.startEpoch(1)
        for done in stride(from: 5, through: 100, by: 5) {
            recorder.advance(0.5)
            reporter.update(itemsDone: done, loss: 3.0)
        }
        reporter.finishEpoch(itemsDone: 100, loss: 2.5, extra: "val 2.7")
        let lines = recorder.output
        XCTAssertEqual(lines.count, 10, lines.joined())
        XCTAssertTrue(lines.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        XCTAssertTrue(lines[0].hasPrefix("epoch 1/2 10/100 loss 3.0000 10 items/s ETA 0:19"), lines[0])
        XCTAssertTrue(lines[9].contains("100/100 loss 2.5000") && lines[9].contains("val 2.7"), lines[9])
        reporter.finish()
        XCTAssertTrue(recorder.output.last!.hasPrefix("trained 1 of 2 epochs, 100 items in 0:10"), recorder.output.last!)
    }

    func testTerminalRedrawsAreThrottled() {
        let recorder = Recorder()
        let reporter = ProgressReporter(totalEpochs: 1, itemsPerEpoch: 1000, isTerminal: true,
                                        emit: { recorder.emit($0) }, clock: { recorder.now() })
        reporter.startEpoch(1)
        for done in 1...100 {
            recorder.advance(0.01)
            reporter.update(itemsDone: done, loss: 1)
        }
        // 1 s of updates at 100/s: at most 10 redraws (plus the first).
        XCTAssertLessThanOrEqual(recorder.output.count, 11)
        XCTAssertGreaterThanOrEqual(recorder.output.count, 9)
        XCTAssertTrue(recorder.output.allSatisfy { $0.hasPrefix("\r\u{1B}[K") && !$0.hasSuffix("\n") })
        reporter.finishEpoch(itemsDone: 1000, loss: 0.5)
        XCTAssertTrue(recorder.output.last!.hasSuffix("\n"))
    }

    func testClockText() {
        XCTAssertEqual(ProgressReporter.clockText(59.6), "1:00")
        XCTAssertEqual(ProgressReporter.clockText(3725), "1:02:05")
        XCTAssertEqual(ProgressReporter.clockText(.infinity), "?")
    }

    func testRunLogAppends() throws {
        let folder = try makeTemporaryDirectory().appendingPathComponent("run")
        do {
            let log = try RunLog(directory: folder.path)
            log.write("epoch 1 loss 3.2")
        }
        let log = try RunLog(directory: folder.path)
        log.write("epoch 2 loss 3.1")
        let text = try String(contentsOfFile: log.path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasSuffix(" epoch 1 loss 3.2"))
        XCTAssertTrue(lines[1].hasSuffix(" epoch 2 loss 3.1"))
        XCTAssertTrue(log.path.hasSuffix("run/train.log"))
    }
}
