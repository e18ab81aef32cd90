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

    func testHelpingReportsHowLongItWaitedForAnIndexAnotherThreadHeld() {
        let workers = WorkerThreads(count: 1, priority: .normal)
        let started = DispatchSemaphore(value: 0)
        let loop = workers.start(2) { index in
            guard index == 0 else { return }
            started.signal()
            usleep(200_000)
        }
        started.wait()
        // The worker holds index 0 for 0.2 s; the caller runs index 1 and then can only wait.
        XCTAssertGreaterThanOrEqual(loop.helpUntilDone(), 0.15)
        XCTAssertTrue(loop.isDone)
    }

    func testIdleWorkersRunInLinuxsIdleClassAndNormalOnesDoNot() {
        XCTAssertEqual(schedulingClasses(of: WorkerThreads(count: 2, priority: .idle)), ["idle"])
        XCTAssertEqual(schedulingClasses(of: WorkerThreads(count: 2, priority: .normal)), ["other, nice 0"])
    }

    func testALongWaitForClaimedItemsMarksTheMachineBusyAndThirtyTwoCalmBatchesIdleAgain() {
        var detector = BusyMachineDetector()
        detector.record(stallSeconds: 0.05, stepSeconds: 0.7)
        XCTAssertFalse(detector.isBusy, "a short wait for the last items is an idle machine's normal")
        detector.record(stallSeconds: 1.0, stepSeconds: 0.005)
        XCTAssertFalse(detector.isBusy, "an epoch's first batch is requested just before it is taken and says nothing")
        detector.record(stallSeconds: 0.3, stepSeconds: 0.7)
        XCTAssertTrue(detector.isBusy, "waiting more than a quarter of a step for claimed items")
        for _ in 0..<31 { detector.record(stallSeconds: 0.01, stepSeconds: 0.7) }
        detector.record(stallSeconds: 0.2, stepSeconds: 0.7)
        for _ in 0..<31 { detector.record(stallSeconds: 0, stepSeconds: 0.7) }
        XCTAssertTrue(detector.isBusy, "a long wait starts the count of calm batches anew")
        detector.record(stallSeconds: 0, stepSeconds: 0.7)
        XCTAssertFalse(detector.isBusy)
        detector.record(stallSeconds: 0.1, stepSeconds: 0.7)
        XCTAssertFalse(detector.isBusy, "the count starts from scratch once idle again")
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
