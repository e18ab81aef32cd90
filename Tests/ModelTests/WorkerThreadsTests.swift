import Foundation
import TestSupport
import XCTest
@testable import Model

final class WorkerThreadsTests: XCTestCase {
    func testEveryIndexRunsOnceWhateverTheCountAndThePoolIsReused() {
        let workers = WorkerThreads(count: 3, priority: .normal)
        for count in [0, 1, 2, 3, 17, 200] {
            let seen = Locked([Int](repeating: 0, count: count))
            workers.start(count) { index in seen.withLock { $0[index] += 1 } }.wait()
            XCTAssertEqual(seen.value, [Int](repeating: 1, count: count), "count \(count)")
        }
    }

    func testAWaitingThreadFinishesTheLoopItselfWhenTheWorkersGetNoCPU() {
        // The only worker is held by another job, as idle-priority workers are on a busy machine: the thread that
        // needs the loop runs every index itself, once, instead of sleeping until the worker is free.
        let workers = WorkerThreads(count: 1, priority: .normal)
        let release = DispatchSemaphore(value: 0)
        let blocker = workers.start(1) { _ in release.wait() }
        let seen = Locked([Int](repeating: 0, count: 50))
        let loop = workers.start(50) { index in seen.withLock { $0[index] += 1 } }
        loop.helpUntilDone()
        XCTAssertEqual(seen.value, [Int](repeating: 1, count: 50))
        XCTAssertTrue(loop.isDone)
        XCTAssertFalse(blocker.isDone, "an index whose body still runs (or has not started) is not done")
        release.signal()
        blocker.wait()
        XCTAssertTrue(blocker.isDone)
    }

    func testIdleWorkersRunInLinuxsIdleClassAndNormalOnesDoNot() {
        XCTAssertEqual(schedulingClasses(of: WorkerThreads(count: 2, priority: .idle)), ["idle"])
        XCTAssertEqual(schedulingClasses(of: WorkerThreads(count: 2, priority: .normal)), ["other, nice 0"])
    }

    func testTwoLateBatchesInARowMarkTheMachineBusyAndThirtyTwoInTimeIdleAgain() {
        var detector = BusyMachineDetector()
        detector.record(isLate: true)
        detector.record(isLate: false)
        detector.record(isLate: true)
        XCTAssertFalse(detector.isBusy, "late batches apart are an idle machine's hiccups")
        detector.record(isLate: true, afterAStep: false)
        XCTAssertFalse(detector.isBusy, "an epoch's first batch is always late and says nothing")
        detector.record(isLate: true)
        XCTAssertTrue(detector.isBusy)
        for _ in 0..<31 { detector.record(isLate: false) }
        detector.record(isLate: true)
        for _ in 0..<31 { detector.record(isLate: false) }
        XCTAssertTrue(detector.isBusy, "a late batch starts the count in time anew")
        detector.record(isLate: false)
        XCTAssertFalse(detector.isBusy)
    }

    /// The scheduling class each job of a parallel loop ran in, as a set of descriptions.
    private func schedulingClasses(of workers: WorkerThreads) -> Set<String> {
        let seen = Locked(Set<String>())
        workers.start(8) { _ in
            var policy: Int32 = 0
            var parameters = sched_param()
            pthread_getschedparam(pthread_self(), &policy, &parameters)
            let nice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            // 5 is SCHED_IDLE; a thread that was refused it runs at nice 19 instead.
            let description = policy == 5 || nice == 19 ? "idle" : "other, nice \(nice)"
            seen.withLock { _ = $0.insert(description) }
        }.wait()
        return seen.value
    }
}
