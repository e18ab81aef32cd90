import Foundation
import XCTest
@testable import Model

final class WorkerThreadsTests: XCTestCase {
    func testEveryIndexRunsOnceWhateverTheCountAndThePoolIsReused() {
        let workers = WorkerThreads(count: 3, priority: .normal)
        for count in [0, 1, 2, 3, 17, 200] {
            let seen = Counts(count)
            workers.parallelFor(count) { seen.add($0) }
            XCTAssertEqual(seen.values, [Int](repeating: 1, count: count), "count \(count)")
        }
    }

    func testAWaitingThreadFinishesTheLoopItselfWhenTheWorkersGetNoCPU() {
        // The only worker is held by another job, as idle-priority workers are on a busy machine: the thread that
        // needs the loop runs every index itself, once, instead of sleeping until the worker is free.
        let workers = WorkerThreads(count: 1, priority: .normal)
        let release = DispatchSemaphore(value: 0)
        let blocker = workers.start(1) { _ in release.wait() }
        let seen = Counts(50)
        let loop = workers.start(50) { seen.add($0) }
        loop.helpUntilDone()
        XCTAssertEqual(seen.values, [Int](repeating: 1, count: 50))
        release.signal()
        blocker.wait()
    }

    func testIdleWorkersRunInLinuxsIdleClassAndNormalOnesDoNot() {
        XCTAssertEqual(schedulingClasses(of: WorkerThreads(count: 2, priority: .idle)), ["idle"])
        XCTAssertEqual(schedulingClasses(of: WorkerThreads(count: 2, priority: .normal)), ["other, nice 0"])
    }

    /// The scheduling class each job of a parallel loop ran in, as a set of descriptions.
    private func schedulingClasses(of workers: WorkerThreads) -> Set<String> {
        let seen = Descriptions()
        workers.parallelFor(8) { _ in
            var policy: Int32 = 0
            var parameters = sched_param()
            pthread_getschedparam(pthread_self(), &policy, &parameters)
            let nice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            // 5 is SCHED_IDLE; a thread that was refused it runs at nice 19 instead.
            seen.add(policy == 5 || nice == 19 ? "idle" : "other, nice \(nice)")
        }
        return seen.values
    }
}

private final class Counts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int]
    init(_ count: Int) { counts = [Int](repeating: 0, count: count) }
    func add(_ index: Int) { lock.withLock { counts[index] += 1 } }
    var values: [Int] { lock.withLock { counts } }
}

private final class Descriptions: @unchecked Sendable {
    private let lock = NSLock()
    private var descriptions = Set<String>()
    func add(_ description: String) { _ = lock.withLock { descriptions.insert(description) } }
    var values: Set<String> { lock.withLock { descriptions } }
}
