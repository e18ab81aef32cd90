import Dispatch
import Foundation
import LibraryScanner

/// The scheduling class of the threads that prepare training batches.
public enum DataThreadPriority: String, Sendable, CaseIterable {
    /// The process's own priority, as any other thread.
    case normal
    /// Linux's idle class: runs only when a core has nothing else to run.
    case idle
}

/// Threads of their own for data work, optionally at the scheduler's idle priority.
///
/// On two cores a thread preparing the next batch preempts one of torch's two threads mid-step, and the other then
/// waits for it at the step's next synchronisation point, so every millisecond of data work costs the step more
/// than a millisecond. At idle priority (Linux `SCHED_IDLE`) data work runs only while a core would otherwise idle:
/// in the step's serial stretches, or while the loop waits for a batch that is not ready, when it has both cores.
/// Threads of Dispatch's shared pool cannot be given that priority without leaking it into later work.
final class WorkerThreads: @unchecked Sendable {
    let count: Int
    private let queue = JobQueue()

    /// Starts `count` threads (at least one) at `priority`; they end when the pool is released.
    init(count: Int, priority: DataThreadPriority) {
        self.count = max(1, count)
        for _ in 0..<self.count {
            let thread = Thread { [queue] in
                if priority == .idle { lowerToIdlePriority() }
                queue.runUntilClosed()
            }
            thread.name = "tunescore.data"
            thread.start()
        }
    }

    deinit { queue.close(waking: count) }

    /// Starts `body(i)` for i in 0..<count on the pool's threads and returns at once; the loop's `wait()` or
    /// `helpUntilDone()` waits for it.
    func start(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> SharedLoop {
        let loop = SharedLoop(count: count, body: body)
        join(loop)
        return loop
    }

    /// Puts the pool's threads to work on `loop` too (after the jobs already queued).
    func join(_ loop: SharedLoop) {
        for _ in 0..<min(count, loop.count) { queue.add { loop.runAvailable() } }
    }
}

/// A loop over 0..<count whose indices any thread may claim, each once: the pool's threads, and the thread that
/// needs the result, which helps rather than sleeps (`helpUntilDone`).
final class SharedLoop: @unchecked Sendable {
    let count: Int
    private let body: @Sendable (Int) -> Void
    private let next = IndexDispenser()
    private let lock = NSLock()
    private var finished = 0
    private let allFinished = DispatchSemaphore(value: 0)

    init(count: Int, body: @escaping @Sendable (Int) -> Void) {
        self.count = count
        self.body = body
        if count == 0 { allFinished.signal() }
    }

    /// Whether some index is not claimed yet.
    var hasUnclaimed: Bool { next.hasRemaining(below: count) }

    /// Whether every index has run.
    var isDone: Bool { lock.withLock { finished == count } }

    /// Runs indices until none is left to claim.
    func runAvailable() {
        while let i = next.claim(below: count) {
            body(i)
            if lock.withLock({ finished += 1; return finished == count }) { allFinished.signal() }
        }
    }

    /// Waits until every index has run (once).
    func wait() {
        allFinished.wait()
        allFinished.signal()
    }

    /// Runs what no thread has claimed yet on the calling thread, then waits for the rest: a waiting training loop
    /// builds its own batch at its own priority when the idle-priority workers get no CPU (a busy machine). Returns
    /// the seconds it waited for indices other threads had claimed.
    @discardableResult
    func helpUntilDone() -> Double {
        runAvailable()
        let start = DispatchTime.now()
        wait()
        return seconds(since: start)
    }
}

/// The jobs waiting for a worker thread.
private final class JobQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let available = DispatchSemaphore(value: 0)
    private var jobs: [() -> Void] = []
    private var isClosed = false

    func add(_ job: @escaping () -> Void) {
        lock.withLock { jobs.append(job) }
        available.signal()
    }

    /// Runs jobs as they come until `close`.
    func runUntilClosed() {
        while true {
            available.wait()
            guard let job = lock.withLock({ isClosed ? nil : jobs.removeFirst() }) else { return }
            job()
        }
    }

    func close(waking threads: Int) {
        lock.withLock { isClosed = true }
        for _ in 0..<threads { available.signal() }
    }
}

/// Moves the calling thread to Linux's idle scheduling class, or if that is refused to the lowest nice value
/// (which Linux keeps per thread). Elsewhere the thread keeps its priority.
private func lowerToIdlePriority() {
    #if os(Linux)
    // SCHED_IDLE from <sched.h>, which Glibc's module exposes only with _GNU_SOURCE.
    let schedIdle: Int32 = 5
    var parameters = sched_param(sched_priority: 0)
    if pthread_setschedparam(pthread_self(), schedIdle, &parameters) == 0 { return }
    // Lowering one's own priority needs no privilege; a failure leaves the thread at normal priority, only slower.
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
    #endif
}
